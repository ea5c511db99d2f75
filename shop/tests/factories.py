from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from communities.tests.factories import CommunitySubscriptionFactory
from shop.models import (
    FeaturedItem,
    FeaturedItemType,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentEvent,
    PaymentGateway,
    PaymentPurpose,
    PaymentStatus,
    Product,
    ProductType,
    SavedPaymentMethod,
)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    class Params:
        download = factory.Trait(
            product_type=ProductType.MUSIC_DOWNLOAD,
            price=Decimal("9.99"),
            stock_quantity=None,
            digital_file=factory.django.FileField(filename="album.zip", data=b"PK\x03\x04 songs"),
        )

    artist = factory.SubFactory(ArtistFactory)
    name = factory.Sequence(lambda n: f"Tour T-shirt {n}")
    description = factory.Faker("paragraph")
    product_type = ProductType.MERCHANDISE
    price = Decimal("24.99")
    stock_quantity = 100
    image_urls = factory.List([factory.Faker("image_url")])


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
