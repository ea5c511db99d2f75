from django.core.validators import RegexValidator

# Usernames appear in profile URLs (/u/<username>/) and mentions: ASCII letters, digits,
# dot, dash and underscore only.
username_validators = [
    RegexValidator(
        r"^[A-Za-z0-9_.-]+\Z",
        "Usernames can only contain letters, digits, dots, dashes and underscores.",
    ),
    # Deleted accounts are renamed deleted-<id>; nobody else may look like one.
    RegexValidator(r"^deleted-", "This username is not available.", inverse_match=True),
]
