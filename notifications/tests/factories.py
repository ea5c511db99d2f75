import factory

from accounts.tests.factories import UserFactory
from content.tests.factories import PostFactory
from musicplatform.audit.models import StatusHistory
from notifications.models import Notification, NotificationEmailPreference, NotificationType
from shop.models import OrderStatus
from shop.tests.factories import OrderFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    class Params:
        post = factory.SubFactory(PostFactory)

    user = factory.SubFactory(UserFactory)
    title = factory.LazyAttribute(lambda o: f"{o.post.artist.artist_name} shared a new post")
    message = factory.Faker("sentence")
    notification_type = NotificationType.POST
    # related_resource_id has no foreign key (defect 7), so point it at a real post explicitly.
    related_resource_type = "post"
    related_resource_id = factory.SelfAttribute("post.pk")


class StatusHistoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusHistory

    class Params:
        order = factory.SubFactory(OrderFactory)

    entity_type = "order"
    entity_id = factory.SelfAttribute("order.pk")
    old_status = OrderStatus.PENDING
    new_status = OrderStatus.PAID
    changed_by = factory.SubFactory(UserFactory, staff=True)


class NotificationEmailPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationEmailPreference

    user = factory.SubFactory(UserFactory)
    notification_type = NotificationType.POST
    send_email = True
