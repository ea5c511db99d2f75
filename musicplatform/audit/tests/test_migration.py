import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.tests.factories import UserFactory
from musicplatform.audit.models import StatusHistory

BEFORE_THE_MOVE = [("notifications", "0005_artist_and_fan_notification_types"), ("audit", None)]


def migrate_to(targets):
    return MigrationExecutor(connection).migrate(targets).apps


@pytest.mark.django_db(transaction=True)
def test_moving_status_history_to_the_audit_app_keeps_every_row_and_its_permissions():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    staff = UserFactory(staff=True)
    old_apps = migrate_to(BEFORE_THE_MOVE)
    try:
        old_model = old_apps.get_model("notifications", "StatusHistory")
        rows = [
            old_model.objects.create(
                entity_type="order",
                entity_id=f"00000000-0000-4000-8000-00000000000{n}",
                old_status="pending",
                new_status="paid",
                changed_by_id=staff.pk,
            ).pk
            for n in range(3)
        ]
        content_type = old_apps.get_model("contenttypes", "ContentType")
        moved_type, _ = content_type.objects.get_or_create(
            app_label="notifications", model="statushistory"
        )
    finally:
        migrate_to(leaves)

    assert sorted(StatusHistory.objects.filter(pk__in=rows).values_list("pk", flat=True)) == sorted(
        rows
    )
    assert StatusHistory.objects.filter(changed_by=staff).count() == 3
    moved_type.refresh_from_db()
    assert moved_type.app_label == "audit"
