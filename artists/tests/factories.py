import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.tests.factories import UserFactory
from artists.crypto import encrypt_details
from artists.models import (
    Artist,
    ArtistPayoutMethod,
    ArtistVerification,
    ArtistVerificationStatus,
    PayoutMethodType,
    ThirdPartyPlatform,
    VerificationStatus,
)


class ArtistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Artist

    class Params:
        verified = factory.Trait(
            verification_status=VerificationStatus.VERIFIED,
            third_party_platform=ThirdPartyPlatform.CHARTMETRIC,
            third_party_id=factory.Sequence(lambda n: f"cm-{100000 + n}"),
        )

    user = factory.SubFactory(UserFactory, artist=True)
    artist_name = factory.Sequence(lambda n: f"The Midnight Echoes {n}")
    bio = factory.Faker("paragraph")
    profile_picture_url = factory.Faker("image_url")
    cover_photo_url = factory.Faker("image_url")


class ArtistVerificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArtistVerification

    class Params:
        approved = factory.Trait(
            status=ArtistVerificationStatus.APPROVED,
            verified_by=factory.SubFactory(UserFactory, staff=True),
            verification_date=factory.LazyFunction(timezone.now),
            admin_notes="Identity matched the label's records.",
        )

    artist = factory.SubFactory(ArtistFactory)
    verification_document_urls = factory.List([factory.Faker("uri"), factory.Faker("uri")])


# The factories' bank account; the suite's log scan (musicplatform/tests/log_secrets.py)
# fails any test that logs it.
PAYOUT_IBAN = "DE89370400440532013000"


def _encrypted_bank_details() -> dict:
    # Payout details are only ever stored encrypted (design-document defect 6).
    return encrypt_details({"iban": PAYOUT_IBAN, "account_holder": "Midnight Echoes GbR"})


class ArtistPayoutMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArtistPayoutMethod

    artist = factory.SubFactory(ArtistFactory)
    method_type = PayoutMethodType.BANK_TRANSFER
    account_details = factory.LazyFunction(_encrypted_bank_details)
    is_default = True


def image_upload(name="picture.png", *, size=(800, 600), image_format="PNG", color="purple"):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


def pdf_upload(name="passport.pdf", *, size=2048):
    body = b"%PDF-1.4\n" + b"0" * max(size - 9, 0)
    return SimpleUploadedFile(name, body, content_type="application/pdf")
