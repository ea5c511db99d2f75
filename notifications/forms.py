from datetime import datetime
from uuid import UUID

from django import forms

from notifications.models import NotificationType


class EmailPreferencesForm(forms.Form):
    emailed_types = forms.MultipleChoiceField(
        choices=NotificationType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Send me an email for",
    )


class PageKeyField(forms.Field):
    """The `before` cursor of the notification list: '<iso timestamp>_<uuid>'."""

    def to_python(self, value):
        if not value:
            return None
        try:
            timestamp, _, identifier = value.rpartition("_")
            return datetime.fromisoformat(timestamp), UUID(identifier)
        except ValueError as error:
            raise forms.ValidationError("That page does not exist.") from error


class NotificationListForm(forms.Form):
    before = PageKeyField(required=False)
