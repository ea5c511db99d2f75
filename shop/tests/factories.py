from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from communities.tests.factories import CommunitySubscriptionFactory
from payments.models import (
    Payment,
    PaymentEvent,
    PaymentGateway,
    PaymentPurpose,
    PaymentStatus,
    SavedPaymentMethod,
)
from shop.models import (
    DownloadUse,
    FeaturedItem,
    FeaturedItemType,
    Order,
    OrderItem,
    OrderItemStatus,
    OrderStatus,
    Product,
    ProductDelivery,
    ProductType,
    Refund,
    SavedAddress,
    ShippingRate,
)


class ShippingRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingRate
        django_get_or_create = ("artist", "country")

    artist = factory.SubFactory(ArtistFactory)
    country = None
    amount = Decimal("0.00")


class SavedAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedAddress

    user = factory.SubFactory(UserFactory)
    name = "Ada Lovelace"
    line1 = factory.Sequence(lambda n: f"{n} St James's Square")
    city = "London"
    postal_code = "SW1Y 4JH"
    country = "GB"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    class Params:
        download = factory.Trait(
            product_type=ProductType.MUSIC_DOWNLOAD,
            delivery=ProductDelivery.DIGITAL,
            price=Decimal("9.99"),
            stock_quantity=None,
            digital_file=factory.django.FileField(filename="album.zip", data=b"PK\x03\x04 songs"),
        )

    artist = factory.SubFactory(ArtistFactory)
    name = factory.Sequence(lambda n: f"Tour T-shirt {n}")
    description = factory.Faker("paragraph")
    product_type = ProductType.MERCHANDISE
    delivery = ProductDelivery.PHYSICAL
    price = Decimal("24.99")
    stock_quantity = 100
    image_urls = factory.List([factory.Faker("image_url")])

    @factory.post_generation
    def ships_everywhere(product, create, extracted, **kwargs):
        """Like the product form, a physical product's artist has shipping rates: free to
        the rest of the world unless the test sets others (`ships_everywhere=False`)."""
        if create and extracted is not False and product.delivery == ProductDelivery.PHYSICAL:
            ShippingRateFactory(artist=product.artist, country=None)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    user = factory.SubFactory(UserFactory)
    total_amount = Decimal("24.99")
    status = OrderStatus.PENDING
    shipping_address = factory.Dict(
        {
            "line1": factory.Faker("street_address"),
            "city": factory.Faker("city"),
            "postal_code": factory.Faker("postcode"),
            "country": factory.Faker("country_code"),
        }
    )
    contact_email = factory.LazyAttribute(lambda o: o.user.email if o.user else "buyer@example.com")


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = factory.SelfAttribute("product.price")
    subtotal = factory.LazyAttribute(lambda o: o.unit_price * o.quantity)
    status = factory.LazyAttribute(
        lambda o: (
            OrderItemStatus.TO_SHIP if o.product.delivery == ProductDelivery.PHYSICAL else None
        )
    )


class PaymentFactory(factory.django.DjangoModelFactory):
    """Pays an order; `for_subscription=True` pays a community subscription instead."""

    class Meta:
        model = Payment

    class Params:
        for_subscription = factory.Trait(
            order=None, subscription=factory.SubFactory(CommunitySubscriptionFactory)
        )

    user = factory.LazyAttribute(lambda o: o.order.user if o.order else o.subscription.user)
    purpose = factory.LazyAttribute(
        lambda o: PaymentPurpose.ORDER if o.order else PaymentPurpose.SUBSCRIPTION
    )
    order = factory.SubFactory(OrderFactory)
    amount = factory.LazyAttribute(
        lambda o: o.order.total_amount if o.order else o.subscription.community.subscription_fee
    )
    currency = "USD"
    gateway = PaymentGateway.TEST
    payment_status = PaymentStatus.COMPLETED
    stripe_payment_id = factory.Sequence(lambda n: f"pi_test_{n:016d}")


class RefundFactory(factory.django.DjangoModelFactory):
    """A staff refund of part of a paid order (rows only: the service also calls the gateway)."""

    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    order = factory.SelfAttribute("payment.order")
    amount = Decimal("5.00")
    reason = "Arrived scratched"
    requested_by = factory.SubFactory(UserFactory, staff=True)
    request_key = factory.Faker("uuid4", cast_to=None)


class DownloadUseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DownloadUse

    order_item = factory.SubFactory(
        OrderItemFactory, product=factory.SubFactory(ProductFactory, download=True)
    )
    user = factory.SelfAttribute("order_item.order.user")
    ip_hash = "0" * 64


class PaymentEventFactory(factory.django.DjangoModelFactory):
    """An event the test gateway reported about a payment."""

    class Meta:
        model = PaymentEvent

    gateway = "test"
    event_id = factory.Sequence(lambda n: f"evt_test_{n:024d}")
    event_type = "payment_intent.succeeded"
    payment = factory.SubFactory(PaymentFactory)
    payload = factory.LazyAttribute(lambda o: {"payment_id": str(o.payment.pk)})


class SavedPaymentMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedPaymentMethod

    user = factory.SubFactory(UserFactory)
    gateway = "stripe"
    customer_ref = factory.Sequence(lambda n: f"cus_Test{n:010d}")
    method_ref = factory.Sequence(lambda n: f"pm_1Test{n:014d}")
    label = "Card saved with Stripe"


class FeaturedItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeaturedItem

    class Params:
        artist = factory.SubFactory(ArtistFactory)

    item_type = FeaturedItemType.ARTIST
    # item_id has no foreign key (defect 7), so point it at a real artist explicitly.
    item_id = factory.LazyAttribute(lambda o: str(o.artist.pk))
    end_date = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    position = factory.Sequence(lambda n: n + 1)
