import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import filetype
from django import forms
from django.utils import timezone
from django_countries import countries

from content.media import AUDIO_TYPES
from musicplatform.forms import NameField, before_latest_year
from musicplatform.images import picture_scaled_down
from musicplatform.uploads import MARKUP_MESSAGE, upload_has_markup
from shop.models import FeaturedItemType, OrderItemStatus, ProductDelivery, ProductType
from shop.regions import REGION_NOUNS, REGIONS, region_code
from shop.selectors import SORTS
from shop.services.orders import Address
from shop.services.products import price_problem

MAX_IMAGES = 6
# Larger product pictures are scaled down: the shop shows them at most this wide.
MAX_IMAGE_SIDE = 1000
MAX_FILE_BYTES = 500 * 1024 * 1024
DOWNLOAD_TYPES = {**AUDIO_TYPES, "application/zip": "zip"}
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,20}$")


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several pictures at once, each checked and re-encoded by musicplatform.images."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_IMAGES:
            raise forms.ValidationError(f"Upload at most {MAX_IMAGES} images.")
        return [
            picture_scaled_down(
                super(MultipleImageField, self).clean(f, initial),
                use="product",
                max_side=MAX_IMAGE_SIDE,
            )
            for f in files
        ]


class ProductForm(forms.Form):
    name = NameField(max_length=255)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    product_type = forms.ChoiceField(choices=ProductType.choices)
    delivery = forms.ChoiceField(
        choices=ProductDelivery.choices,
        widget=forms.RadioSelect,
        label="How buyers get it",
        help_text="Physical products are shipped (they need stock, and your shipping rates); "
        "digital ones are downloaded (they need the file).",
    )
    price = forms.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, help_text="0.00 makes a digital product free."
    )
    stock_quantity = forms.IntegerField(
        min_value=0,
        max_value=1_000_000,
        required=False,
        help_text="How many you can ship. Leave empty for unlimited downloads.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="On sale")
    images = MultipleImageField(required=False, help_text="JPEG, PNG or WebP, 5 MB each.")
    digital_file = forms.FileField(
        required=False,
        help_text="The file buyers download (digital products).",
    )

    def __init__(self, *args, has_file: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_file = has_file

    def clean_digital_file(self):
        """Audio or a ZIP archive, recognised by its first bytes and named after them.

        Buyers get it only as an attachment through a signed link, so an album's ZIP may
        hold anything (an HTML booklet too); what it may not be is a renamed text file,
        a picture, a program, or audio with a web page hidden in it."""
        upload = self.cleaned_data.get("digital_file")
        if not upload:
            return upload
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 500 MB.")
        upload.seek(0)
        kind = filetype.guess(upload.read(8192))
        upload.seek(0)
        extension = DOWNLOAD_TYPES.get(kind.mime) if kind else None
        if extension is None:
            raise forms.ValidationError(
                f"“{upload.name}” is not an audio file (MP3, OGG, FLAC, WAV, M4A) or a ZIP archive."
            )
        if extension != "zip" and upload_has_markup(upload):
            raise forms.ValidationError(MARKUP_MESSAGE.format(name=upload.name))
        stem = upload.name.rsplit(".", 1)[0] or "download"
        upload.name = f"{stem}.{extension}"
        return upload

    def clean(self):
        data = super().clean()
        delivery = data.get("delivery")
        if (
            delivery == ProductDelivery.DIGITAL
            and not data.get("digital_file")
            and not self.has_file
            and "digital_file" not in self.errors
        ):
            self.add_error("digital_file", "A digital product needs its file.")
        if (
            delivery == ProductDelivery.PHYSICAL
            and data.get("stock_quantity") is None
            and "stock_quantity" not in self.errors
        ):
            self.add_error(
                "stock_quantity", "A physical product needs its stock: how many you can ship."
            )
        if data.get("price") is not None and delivery:
            problem = price_problem(price=data["price"], delivery=delivery)
            if problem:
                self.add_error("price", problem)
        return data


class ProductFilterForm(forms.Form):
    product_type = forms.ChoiceField(
        choices=[("", "All types"), *ProductType.choices], required=False, label="Type"
    )
    artist = forms.UUIDField(required=False, widget=forms.HiddenInput)
    min_price = forms.DecimalField(min_value=0, max_digits=10, decimal_places=2, required=False)
    max_price = forms.DecimalField(min_value=0, max_digits=10, decimal_places=2, required=False)
    sort = forms.ChoiceField(
        choices=[
            ("newest", "Newest"),
            ("price", "Price: low to high"),
            ("-price", "Price: high to low"),
            ("name", "Name"),
        ],
        required=False,
    )

    def clean_sort(self):
        sort = self.cleaned_data.get("sort") or "newest"
        return sort if sort in SORTS else "newest"


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(
        error_messages={"required": "Enter a quantity.", "invalid": "Enter a whole number."}
    )


COUNTRY_CHOICES = [("", "Choose a country"), *countries]
NEW_ADDRESS = "new"


class CheckoutForm(forms.Form):
    """Contact details, and a shipping address when the cart holds a physical item: one
    of the buyer's saved addresses, or a new one (country from the list, and a region
    from a list where the country has one; REGIONS)."""

    contact_email = forms.EmailField(max_length=255, label="Email")
    contact_phone = forms.CharField(max_length=20, required=False, label="Phone")
    saved_address = forms.ChoiceField(
        widget=forms.RadioSelect, required=False, label="Ship to", choices=()
    )
    name = NameField(max_length=200, required=False, label="Full name")
    line1 = forms.CharField(max_length=200, required=False, label="Address")
    line2 = forms.CharField(max_length=200, required=False, label="Address line 2")
    city = forms.CharField(max_length=100, required=False)
    postal_code = forms.CharField(max_length=20, required=False, label="Postal code")
    country = forms.ChoiceField(choices=COUNTRY_CHOICES, required=False)
    region = forms.CharField(max_length=100, required=False, label="Region")
    remember = forms.BooleanField(
        required=False, initial=True, label="Save this address for my next orders"
    )
    checkout_key = forms.UUIDField(widget=forms.HiddenInput)
    expected_total = forms.DecimalField(
        max_digits=10, decimal_places=2, widget=forms.HiddenInput, required=False
    )

    ADDRESS_REQUIRED = ("name", "line1", "city", "postal_code", "country")
    NEW_ADDRESS_FIELDS = (*ADDRESS_REQUIRED, "line2", "region", "remember")
    ADDRESS_FIELDS = (*NEW_ADDRESS_FIELDS, "saved_address")

    def __init__(self, *args, needs_shipping: bool, saved_addresses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_shipping = needs_shipping
        self.saved_addresses = {str(a.pk): a for a in saved_addresses}
        if not needs_shipping:
            for name in self.ADDRESS_FIELDS:
                del self.fields[name]
            return
        if self.saved_addresses:
            self.fields["saved_address"].choices = [
                *((pk, str(a)) for pk, a in self.saved_addresses.items()),
                (NEW_ADDRESS, "A new address (below)"),
            ]
        else:
            del self.fields["saved_address"]
        # The new address's region list follows its own country (a saved address chosen
        # above does not change it).
        country = self._raw("country").upper()
        if self.is_bound and country in REGIONS:
            # A region typed before its list was shown ("virginia") is shown chosen.
            code = region_code(country, self._raw("region"))
            if code is not None:
                self.data = self.data.copy()
                self.data[self.add_prefix("region")] = code
        if country in REGIONS:
            noun = REGION_NOUNS[country]
            self.fields["region"].label = noun.capitalize()
            self.fields["region"].widget = forms.Select(
                choices=[("", f"Choose a {noun}"), *REGIONS[country]]
            )

    def _raw(self, name: str) -> str:
        if self.is_bound:
            return (self.data.get(self.add_prefix(name)) or "").strip()
        return str(self.initial.get(name) or "")

    def _saved_choice(self):
        return self.saved_addresses.get(self._raw("saved_address"))

    def destination_country(self) -> str:
        """The country the buyer ships to, from what they chose so far (may be empty):
        it decides the shipping shown before they confirm."""
        saved = self._saved_choice()
        return saved.country if saved else self._raw("country").upper()

    def clean_contact_phone(self):
        phone = self.cleaned_data["contact_phone"].strip()
        if phone and not PHONE.match(phone):
            raise forms.ValidationError("Enter a phone number such as +1 555 123 4567.")
        return phone

    def clean(self):
        data = super().clean()
        if not self.needs_shipping or self._saved_choice():
            return data
        for name in self.ADDRESS_REQUIRED:
            if not (data.get(name) or "").strip() and name not in self.errors:
                self.add_error(name, "Needed to ship your order.")
        country = data.get("country", "")
        if country in REGIONS and "region" not in self.errors:
            code = region_code(country, data.get("region", ""))
            if code is None:
                self.add_error(
                    "region",
                    f"Choose a {REGION_NOUNS[country]} from the list for "
                    f"{countries.name(country)}.",
                )
            else:
                data["region"] = code
        return data

    def address(self) -> Address | None:
        if not self.needs_shipping:
            return None
        saved = self._saved_choice()
        if saved is not None:
            return Address(
                name=saved.name,
                line1=saved.line1,
                line2=saved.line2,
                city=saved.city,
                postal_code=saved.postal_code,
                country=saved.country,
                region=saved.region,
            )
        data = self.cleaned_data
        return Address(
            name=data["name"].strip(),
            line1=data["line1"].strip(),
            line2=data.get("line2", "").strip(),
            city=data["city"].strip(),
            postal_code=data["postal_code"].strip(),
            country=data["country"],
            region=data.get("region", "").strip(),
        )

    def remember_address(self) -> bool:
        """A new address when the buyer asked; a saved one always (it becomes the latest)."""
        return self.needs_shipping and bool(self._saved_choice() or self.cleaned_data["remember"])


class FulfilmentForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(OrderItemStatus.SHIPPED, "Shipped"), (OrderItemStatus.DELIVERED, "Delivered")]
    )
    carrier = forms.CharField(max_length=100, required=False)
    tracking_number = forms.CharField(max_length=100, required=False, label="Tracking number")


class ShippingRateForm(forms.Form):
    country = forms.ChoiceField(
        choices=[("", "Rest of the world (every country without a rate of its own)"), *countries],
        required=False,
        label="Ships to",
    )
    amount = forms.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=0,
        max_value=1000,
        label="Shipping per order",
        help_text="What a buyer pays once per order for all your items, however many.",
    )


class FeaturedPlacementForm(forms.Form):
    target = forms.ChoiceField(label="What to feature")
    start_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), validators=[before_latest_year]
    )
    end_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day it is shown.",
        validators=[before_latest_year],
    )

    def __init__(self, *args, artists, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            *((f"artist:{a.pk}", f"Artist profile: {a.artist_name}") for a in artists),
            *((f"product:{p.pk}", f"Product: {p.name}") for p in products),
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and start < timezone.localdate():
            self.add_error("start_date", "The placement cannot start in the past.")
        elif start and end and end < start:
            self.add_error("end_date", "The last day cannot be before the first.")
        return data

    def placement(self) -> dict:
        item_type, item_id = self.cleaned_data["target"].split(":", 1)
        zone = timezone.get_current_timezone()
        start = datetime.combine(self.cleaned_data["start_date"], time.min, tzinfo=zone)
        end = datetime.combine(self.cleaned_data["end_date"], time.min, tzinfo=zone) + timedelta(
            days=1
        )
        if start < timezone.now():
            start = timezone.now()
        return {
            "item_type": FeaturedItemType(item_type),
            "item_id": item_id,
            "start_date": start,
            "end_date": end,
        }


class OrderRefundForm(forms.Form):
    """Staff refund an order (admin): lines and/or an amount, always with a reason."""

    items = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Items to give back",
        help_text="Chosen lines no longer download and are refunded once. Without an "
        "amount their subtotals are refunded (all that is left when you choose every line).",
    )
    amount = forms.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        label="Amount to refund",
        help_text="Leave empty to refund the chosen lines' subtotals.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    # The form's idempotency key: a second submission of the same form is the same refund.
    request_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [
            (
                str(item.pk),
                f"{item.quantity} × {item.product.name} ({item.subtotal})"
                + (" — downloaded" if item.first_download_at else ""),
            )
            for item in items
            if item.refund_id is None
        ]

    def clean(self):
        data = super().clean()
        if not data.get("items") and data.get("amount") is None and "amount" not in self.errors:
            raise forms.ValidationError("Choose items or enter an amount to refund.")
        return data
