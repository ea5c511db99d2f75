"""What the browser journeys share besides fixtures: viewports, labels, email links."""

import re

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


def link_in_email(outbox: list, to: str) -> str:
    """The first link of the latest email sent to `to`."""
    messages = [message for message in outbox if to in message.to]
    assert messages, f"no email to {to}; sent: {[m.subject for m in outbox]}"
    match = re.search(r"https?://\S+", messages[-1].body)
    assert match, messages[-1].body
    return match.group(0)


def label(text: str) -> re.Pattern:
    """A field's label exactly, with or without the colon Django's forms add."""
    return re.compile(rf"^\s*{re.escape(text)}:?\s*$")
