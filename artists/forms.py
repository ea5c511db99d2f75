import re

from django import forms
from django.core.exceptions import ValidationError

from artists import uploads
from artists.models import PayoutMethodType, ThirdPartyPlatform
from musicplatform.forms import MultipleFileField, NameField

IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


class ArtistProfileForm(forms.Form):
    artist_name = NameField(max_length=255, strip=True)
    bio = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=5000, required=False)
    profile_picture = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text="JPEG, PNG, WebP or GIF up to 5 MB; cropped to a 400×400 square.",
    )
    cover_photo = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text="JPEG, PNG, WebP or GIF up to 5 MB; cropped to 1500×500.",
    )

    def clean_artist_name(self):
        name = self.cleaned_data["artist_name"]
        if not name:
            raise ValidationError("Enter your artist name.")
        return name

    def clean_profile_picture(self):
        upload = self.cleaned_data.get("profile_picture")
        if not upload:
            return None
        return uploads.picture_resized(upload, size=uploads.PROFILE_PICTURE_SIZE, use="avatar")

    def clean_cover_photo(self):
        upload = self.cleaned_data.get("cover_photo")
        if not upload:
            return None
        return uploads.picture_resized(upload, size=uploads.COVER_PHOTO_SIZE, use="cover")


class VerificationRequestForm(forms.Form):
    documents = MultipleFileField(
        help_text=(
            f"Up to {uploads.MAX_DOCUMENTS} PDF, JPEG or PNG files of up to 10 MB each: "
            "an ID, a label contract, a distributor statement…"
        ),
        error_messages={"required": "Add at least one document."},
    )
    third_party_platform = forms.ChoiceField(
        choices=[("", "None"), *ThirdPartyPlatform.choices],
        required=False,
        label="Platform that knows you (optional)",
    )
    third_party_id = forms.CharField(
        max_length=255, required=False, label="Your id on that platform", strip=True
    )

    def clean_documents(self):
        documents = [upload for upload in self.cleaned_data["documents"] if upload]
        if not documents:
            raise ValidationError("Add at least one document.")
        if len(documents) > uploads.MAX_DOCUMENTS:
            raise ValidationError(f"Send at most {uploads.MAX_DOCUMENTS} documents.")
        return [uploads.document_checked(upload) for upload in documents]

    def clean(self):
        cleaned = super().clean()
        platform = cleaned.get("third_party_platform")
        platform_id = cleaned.get("third_party_id")
        needs_id = platform and platform != ThirdPartyPlatform.MANUAL
        if needs_id and not platform_id:
            self.add_error("third_party_id", "Enter your id on this platform.")
        if platform_id and not platform:
            self.add_error("third_party_platform", "Choose the platform this id belongs to.")
        return cleaned


def iban_normalised(value: str) -> str:
    """The IBAN without spaces, upper case; ValidationError unless its check digits hold."""
    iban = re.sub(r"\s+", "", value).upper()
    if not IBAN_SHAPE.match(iban):
        raise ValidationError("Enter a valid IBAN, e.g. DE89 3704 0044 0532 0130 00.")
    rearranged = iban[4:] + iban[:4]
    if int("".join(str(int(char, 36)) for char in rearranged)) % 97 != 1:
        raise ValidationError("This IBAN's check digits do not match: please check it.")
    return iban


class PayoutMethodForm(forms.Form):
    method_type = forms.ChoiceField(choices=PayoutMethodType.choices, label="Method")
    account_holder = forms.CharField(max_length=255, required=False, strip=True)
    iban = forms.CharField(max_length=64, required=False, label="IBAN")
    paypal_email = forms.EmailField(max_length=255, required=False, label="PayPal email")

    def clean(self):
        cleaned = super().clean()
        method_type = cleaned.get("method_type")
        if method_type == PayoutMethodType.BANK_TRANSFER:
            if not cleaned.get("account_holder"):
                self.add_error("account_holder", "Enter the account holder's name.")
            if not self.data.get("iban", "").strip():
                self.add_error("iban", "Enter the IBAN.")
            elif "iban" in cleaned:
                try:
                    cleaned["iban"] = iban_normalised(cleaned["iban"])
                except ValidationError as error:
                    self.add_error("iban", error)
        elif (
            method_type == PayoutMethodType.PAYPAL
            and not cleaned.get("paypal_email")
            and "paypal_email" not in self.errors
        ):
            self.add_error("paypal_email", "Enter the email address of your PayPal account.")
        return cleaned

    def details(self) -> dict:
        if self.cleaned_data["method_type"] == PayoutMethodType.PAYPAL:
            return {"email": self.cleaned_data["paypal_email"].lower()}
        return {
            "iban": self.cleaned_data["iban"],
            "account_holder": self.cleaned_data["account_holder"],
        }
