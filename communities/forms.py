from decimal import Decimal

from django import forms
from django.conf import settings

from communities.models import (
    FlagReason,
    ForumType,
    LiveEventStatus,
    LiveEventType,
    Reaction,
    SubscriptionInterval,
    SuggestionState,
)
from communities.selectors import Cursor
from communities.services import CommunityError
from communities.services.common import CHAT_MESSAGE_MAX
from communities.services.listing import fee_check
from communities.services.moderation import (
    ITEM_ACTIONS,
    MUTE_HOURS,
    SLOW_MODE_MAX_SECONDS,
    hours_text,
)
from communities.services.tiers import TIER_RANK_MAX
from communities.services.topics import REPLY_MAX
from communities.streams import validate_stream_url
from musicplatform.forms import (
    MultipleFileField,
    MultipleFileInput,
    NameField,
    before_latest_year,
)


class CommunityForm(forms.Form):
    name = NameField(max_length=255)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    subscription_fee = forms.DecimalField(
        label="Fee (USD)",
        max_digits=10,
        decimal_places=2,
        help_text="What a new member pays each interval.",
    )
    subscription_interval = forms.ChoiceField(
        label="Interval", choices=SubscriptionInterval.choices
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = settings.COMMUNITY_FEE_MIN, settings.COMMUNITY_FEE_MAX
        self.fields[
            "subscription_fee"
        ].help_text += f" 0 for a free tier, or between {low:.2f} and {high:.2f}."

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the community a name.")
        return name

    def clean_subscription_fee(self) -> Decimal:
        try:
            return fee_check(self.cleaned_data["subscription_fee"])
        except CommunityError as error:
            raise forms.ValidationError(str(error)) from error


class AcceptPriceForm(forms.Form):
    """The price the member was shown and agrees to pay from their next renewal."""

    fee = forms.DecimalField(max_digits=10, decimal_places=2)
    interval = forms.ChoiceField(choices=SubscriptionInterval.choices)


class TierChangeForm(forms.Form):
    """The amount due now and the price per period the member was shown and confirms."""

    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    price = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0)


class TierOrderForm(forms.Form):
    """One rank per community of the artist: 1 is the lowest tier, blank is not a tier."""

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.communities = communities
        for community in communities:
            self.fields[f"rank_{community.pk}"] = forms.IntegerField(
                label=community.name,
                required=False,
                min_value=1,
                max_value=TIER_RANK_MAX,
                initial=community.tier_rank,
            )

    def ranks(self) -> dict:
        return {c.pk: self.cleaned_data[f"rank_{c.pk}"] for c in self.communities}


class ForumForm(forms.Form):
    name = NameField(max_length=255)
    forum_type = forms.ChoiceField(label="Type", choices=ForumType.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the forum a name.")
        return name


class ForumPostForm(forms.Form):
    title = NameField(max_length=255, required=False)
    content = forms.CharField(
        label="Text", widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20000
    )
    images = MultipleFileField(
        label="Pictures (up to 4)",
        required=False,
        help_text="JPEG, PNG, GIF or WebP, at most 6 MB each.",
        widget=MultipleFileInput(attrs={"accept": "image/*"}),
    )


class ChatMessageForm(forms.Form):
    content = forms.CharField(
        label="Message",
        max_length=CHAT_MESSAGE_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "Say something…"}),
    )


class ForumPostEditForm(forms.Form):
    title = NameField(max_length=255, required=False)
    content = forms.CharField(
        label="Text", widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20000
    )


class LiveEventForm(forms.Form):
    title = NameField(max_length=255)
    event_type = forms.ChoiceField(label="Type", choices=LiveEventType.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    start_time = forms.DateTimeField(
        label="Starts (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        validators=[before_latest_year],
    )
    end_time = forms.DateTimeField(
        label="Ends (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        validators=[before_latest_year],
    )
    stream_url = forms.URLField(
        label="Stream link",
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[validate_stream_url],
        help_text="YouTube or Twitch links play on the event's page; any other https "
        "address is shown as a link.",
    )

    def __init__(self, *args, zone_name: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_time"].label = f"Starts ({zone_name})"
        self.fields["end_time"].label = f"Ends ({zone_name})"


class LiveEventStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (LiveEventStatus.LIVE, "Go live"),
            (LiveEventStatus.COMPLETED, "End the event"),
            (LiveEventStatus.CANCELLED, "Cancel the event"),
        ]
    )


class SeqCursorForm(forms.Form):
    """A live event's poll: messages after this seq."""

    after = forms.IntegerField(min_value=0, required=False)


class TimeCursorForm(forms.Form):
    """An all_chat forum's poll: messages after this instant."""

    after = forms.DateTimeField(required=False)


class SuggestionFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="Show", choices=[("", "All"), *SuggestionState.choices], required=False
    )


# Moderation


class FlagForm(forms.Form):
    reason = forms.ChoiceField(label="Why?", choices=FlagReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label="Anything the moderators should know (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ItemModerationForm(forms.Form):
    action = forms.ChoiceField(choices=[(action, action) for action in ITEM_ACTIONS])
    reason = forms.CharField(
        label="Why (the other moderators see it)", required=False, max_length=500
    )


class MuteForm(forms.Form):
    hours = forms.TypedChoiceField(
        label="Mute for",
        coerce=int,
        choices=[(hours, hours_text(hours)) for hours in MUTE_HOURS],
    )
    reason = forms.CharField(label="Why", required=False, max_length=500)


class BanForm(forms.Form):
    reason = forms.CharField(label="Why", max_length=500)


class ModeratorForm(forms.Form):
    username = forms.CharField(label="Member's username", max_length=50)


class SlowModeForm(forms.Form):
    seconds = forms.IntegerField(
        label="Seconds between a member's messages (0: off)",
        min_value=0,
        max_value=SLOW_MODE_MAX_SECONDS,
    )


# Forum topics


BROKEN_PAGE_LINK = "This page link is broken: start from the first page."


class TopicCursorForm(forms.Form):
    """Where a list continues: topics `before` a cursor, replies `after` one."""

    before = forms.CharField(required=False, max_length=100)
    after = forms.CharField(required=False, max_length=100)

    def _cursor(self, name: str) -> Cursor | None:
        text = self.cleaned_data[name]
        if not text:
            return None
        try:
            return Cursor.parse(text)
        except ValueError as error:
            raise forms.ValidationError(BROKEN_PAGE_LINK) from error

    def clean_before(self) -> Cursor | None:
        return self._cursor("before")

    def clean_after(self) -> Cursor | None:
        return self._cursor("after")


class ReplyForm(forms.Form):
    content = forms.CharField(
        label="Your reply",
        max_length=REPLY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown: **bold**, *italics*, [links](https://…), > quotes, lists, `code`. "
        "Write @username to mention a member.",
    )


class SuggestionStateForm(forms.Form):
    state = forms.ChoiceField(choices=SuggestionState.choices)


class ReactionForm(forms.Form):
    emoji = forms.ChoiceField(choices=Reaction.choices)


class VoteForm(forms.Form):
    voted = forms.TypedChoiceField(
        choices=[("1", "Vote"), ("0", "Take back")], coerce=lambda v: v == "1"
    )


class ForumSearchForm(forms.Form):
    q = forms.CharField(label="Search the forums", max_length=200)


class MentionForm(forms.Form):
    """The text being written; suggestions are for the @name it ends with."""

    content = forms.CharField(required=False, max_length=REPLY_MAX)
