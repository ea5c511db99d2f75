"""Form fields shared by the apps."""

from django import forms
from django.core.exceptions import ValidationError

from musicplatform.validators import validate_single_line

# Far enough for any booking or event, near enough that date arithmetic on the value (the
# day after the last day, a reminder before the start) stays within Python's year 9999.
LATEST_YEAR = 2099


def before_latest_year(value) -> None:
    """Validator for the dates and times people choose for things to come."""
    if value.year > LATEST_YEAR:
        raise ValidationError(f"Choose a date before {LATEST_YEAR + 1}.", code="too_far")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, cleaned one by one; the caller checks their content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        # An empty input is "no files" (or "required" when the field is).
        return [super().clean(data, initial)] if data else super().clean(data, initial) or []


class NameField(forms.CharField):
    """A name or a title: one line of text (musicplatform.validators)."""

    default_validators = [validate_single_line]


class SearchForm(forms.Form):
    """The search page's and the header's search box (musicplatform.search)."""

    q = forms.CharField(max_length=100, required=False, strip=True, label="Search for")
    kind = forms.ChoiceField(required=False, label="In", choices=[("", "Everything")])

    def __init__(self, *args, kinds: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Everything"), *kinds.items()]
