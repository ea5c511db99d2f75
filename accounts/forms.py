import uuid
from datetime import date

import phonenumbers
from allauth.account import forms as allauth_forms
from django import forms
from django.utils import timezone
from django_countries import countries

from accounts import services
from accounts.models import Genre, Language
from musicplatform.forms import NameField

MINIMUM_AGE = 13
MAXIMUM_AGE = 120

GENDER_CHOICES = [
    ("", "Prefer not to say"),
    ("female", "Female"),
    ("male", "Male"),
    ("non-binary", "Non-binary"),
    ("other", "Other"),
]


class SignupForm(allauth_forms.SignupForm):
    full_name = NameField(
        label="Full name",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name", "placeholder": "Your name"}),
    )
    field_order = ["full_name", "email", "username", "password1", "password2"]

    def clean_full_name(self) -> str:
        name = self.cleaned_data["full_name"].strip()
        if not name:
            raise forms.ValidationError("Please enter your name.")
        return name


class ResetPasswordKeyForm(allauth_forms.ResetPasswordKeyForm):
    """Sets the password and consumes the `user_verification` token in one transaction."""

    def clean(self):
        cleaned = super().clean()
        if not services.password_reset_token_valid(user=self.user, raw_token=self.temp_key):
            raise forms.ValidationError(
                "This password reset link has expired or was already used. "
                "Please request a new one."
            )
        return cleaned

    def save(self) -> None:
        services.password_reset(
            user=self.user, raw_token=self.temp_key, password=self.cleaned_data["password1"]
        )


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class ProfileForm(forms.Form):
    full_name = NameField(label="Full name", max_length=100)
    gender = forms.ChoiceField(label="Gender", choices=GENDER_CHOICES, required=False)
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=f"You must be at least {MINIMUM_AGE}.",
    )
    city = forms.CharField(label="City", max_length=100, required=False)
    country = forms.ChoiceField(label="Country", required=False)
    mobile_number = forms.CharField(
        label="Mobile number",
        max_length=32,
        required=False,
        help_text="International format, e.g. +44 7700 900123.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    bio = forms.CharField(
        label="Bio", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    profile_picture = forms.FileField(
        label="Profile picture",
        required=False,
        help_text="JPEG, PNG, GIF or WebP, at most 5 MB.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}
        ),
    )
    remove_picture = forms.BooleanField(label="Remove my current picture", required=False)
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Times of live events and posts are shown in it.",
    )

    def __init__(self, *args, has_picture: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_picture:
            del self.fields["remove_picture"]
        # Stored as the English country name, the document's VARCHAR(100).
        self.fields["country"].choices = [("", "—"), *((name, name) for _code, name in countries)]
        self._country_codes = {name: code for code, name in countries}
        self.fields["time_zone"].choices = [
            ("", "Not chosen (UTC)"),
            *((name, name.replace("_", " ")) for name in services.time_zone_names()),
        ]
        self.processed_picture = None

    def clean_full_name(self) -> str:
        name = self.cleaned_data["full_name"].strip()
        if not name:
            raise forms.ValidationError("Please enter your name.")
        return name

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        if born is None:
            return None
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError("Your date of birth cannot be in the future.")
        if _age_on(born, today) < MINIMUM_AGE:
            raise forms.ValidationError(f"You must be at least {MINIMUM_AGE} years old.")
        if _age_on(born, today) > MAXIMUM_AGE:
            raise forms.ValidationError("Please check the year of your date of birth.")
        return born

    def clean_profile_picture(self):
        upload = self.cleaned_data.get("profile_picture")
        if not upload:
            return None
        # Checked and re-encoded here so a bad file is a form error; stored only on save.
        self.processed_picture = services.profile_picture_process(upload=upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        number = (cleaned.get("mobile_number") or "").strip()
        if number:
            region = self._country_codes.get(cleaned.get("country") or "")
            try:
                parsed = phonenumbers.parse(number, region)
            except phonenumbers.NumberParseException:
                parsed = None
            if parsed is None or not phonenumbers.is_valid_number(parsed):
                self.add_error(
                    "mobile_number",
                    "Enter a valid mobile number in international format, e.g. +44 7700 900123.",
                )
            else:
                cleaned["mobile_number"] = phonenumbers.format_number(
                    parsed, phonenumbers.PhoneNumberFormat.E164
                )
        return cleaned


class PreferencesForm(forms.Form):
    genres = forms.ModelMultipleChoiceField(
        queryset=Genre.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.ModelMultipleChoiceField(
        queryset=Language.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    favorite_artists = forms.TypedMultipleChoiceField(
        label="Favourite artists",
        coerce=uuid.UUID,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    q = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, artist_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Only artists on the page (current favourites and search results) can be picked;
        # the full catalogue is never rendered.
        self.fields["favorite_artists"].choices = [
            (str(a.pk), a.artist_name) for a in artist_choices
        ]


class ArtistSearchForm(forms.Form):
    q = forms.CharField(label="Search artists", max_length=100, required=False)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my profile, preferences and linked accounts will be erased.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            # Accounts made through Google have no password to confirm with.
            del self.fields["password"]

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password", "")
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.")
        return password
