from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Genre
from artists.uploads import picture_resized
from catalogue.audio import track_upload_format
from catalogue.downloads import FORMATS
from catalogue.models import ReleaseType
from catalogue.services import ReleaseDetails
from communities.models import Community

COVER_SIZE = (1200, 1200)
MAX_PRICE = Decimal("10000")


class ReleaseForm(forms.Form):
    release_type = forms.ChoiceField(choices=ReleaseType.choices, label="Type")
    title = forms.CharField(max_length=255)
    release_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Before this day the release is a pre-order.",
    )
    cover = forms.FileField(required=False, label="Cover art", help_text="JPEG, PNG or WebP.")
    description = forms.CharField(widget=forms.Textarea, required=False)
    credits = forms.CharField(widget=forms.Textarea, required=False)
    genres = forms.ModelMultipleChoiceField(queryset=Genre.objects.order_by("name"), required=False)
    price = forms.DecimalField(
        min_value=0, max_value=MAX_PRICE, decimal_places=2, max_digits=10, label="Price (USD)"
    )
    name_your_price = forms.BooleanField(
        required=False, help_text="Fans may pay more; the price above is then the minimum."
    )
    tracks_sold_separately = forms.BooleanField(
        required=False, label="Sell each track on its own too", help_text="At the price below."
    )
    track_price = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=MAX_PRICE,
        decimal_places=2,
        max_digits=10,
        label="Track price (USD)",
    )
    included_for_members = forms.BooleanField(
        required=False, help_text="Members of the community below download it for free."
    )
    community = forms.ModelChoiceField(queryset=Community.objects.none(), required=False)

    def __init__(self, *args, artist, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.filter(artist=artist).order_by(
            "name", "pk"
        )

    def clean_cover(self):
        cover = self.cleaned_data.get("cover")
        return picture_resized(cover, size=COVER_SIZE, use="release_cover") if cover else None

    def clean(self):
        data = super().clean()
        if data.get("included_for_members") and not data.get("community"):
            self.add_error("community", "Choose the community whose members get this release.")
        if data.get("tracks_sold_separately") and data.get("track_price") is None:
            self.add_error("track_price", "Give the price of a track sold on its own.")
        return data

    def details(self) -> ReleaseDetails:
        data = self.cleaned_data
        return ReleaseDetails(
            release_type=data["release_type"],
            title=data["title"],
            release_date=data["release_date"],
            description=data["description"],
            credits=data["credits"],
            price=data["price"],
            name_your_price=data["name_your_price"],
            included_for_members=data["included_for_members"],
            community=data["community"],
            genres=list(data["genres"]),
            tracks_sold_separately=data["tracks_sold_separately"],
            track_price=data["track_price"],
        )


class TrackForm(forms.Form):
    """Shown on the release's edit page beside ReleaseForm, whose fields' ids it must not
    repeat: both have a title."""

    title = forms.CharField(max_length=255)
    audio = forms.FileField(help_text="WAV, FLAC, AIFF or MP3.")
    lyrics = forms.CharField(widget=forms.Textarea, required=False)
    streams_in_full = forms.BooleanField(
        required=False,
        label="Everyone may hear it in full",
        help_text="Otherwise fans who have not bought it hear a 30-second preview.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_track_%s")
        super().__init__(*args, **kwargs)

    def clean_audio(self):
        upload = self.cleaned_data["audio"]
        self.original_format = track_upload_format(upload)
        return upload


class BuyForm(forms.Form):
    amount = forms.DecimalField(
        required=False, min_value=0, max_value=MAX_PRICE, decimal_places=2, max_digits=10
    )

    def __init__(self, *args, release, **kwargs):
        super().__init__(*args, **kwargs)
        self.release = release
        self.fields["amount"].label = f"Name your price (at least ${release.price})"

    def clean_amount(self):
        amount = self.cleaned_data.get("amount")
        if self.release.name_your_price:
            if amount is None:
                raise ValidationError("Enter the amount you want to pay.")
            if amount < self.release.price:
                raise ValidationError(f"Pay at least ${self.release.price}.")
        return amount


class DownloadFormatForm(forms.Form):
    format = forms.ChoiceField(choices=[(key, label) for key, (_, label) in FORMATS.items()])


class CollectionVisibilityForm(forms.Form):
    is_public = forms.BooleanField(required=False, label="Anyone may see my collection")
