import uuid

import django.db.models.deletion
import django.db.models.functions.uuid
from django.conf import settings
from django.db import migrations, models

import musicplatform.db


def content_type_follows(apps, schema_editor, *, old_label, new_label):
    # Admin permissions granted on the model keep pointing at it under its new app label.
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label=old_label, model="statushistory").update(
        app_label=new_label
    )


def forwards(apps, schema_editor):
    content_type_follows(apps, schema_editor, old_label="notifications", new_label="audit")


def backwards(apps, schema_editor):
    content_type_follows(apps, schema_editor, old_label="audit", new_label="notifications")


class Migration(migrations.Migration):
    """status_history moves from notifications to the core audit app: the table, its rows and
    its index stay where they are; only Django's idea of which app owns the model changes
    (notifications' 0004 forgets it)."""

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("notifications", "0005_artist_and_fan_notification_types"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="StatusHistory",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                db_column="id",
                                db_default=django.db.models.functions.uuid.UUID4(),
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("entity_type", models.CharField(max_length=50)),
                        ("entity_id", models.UUIDField()),
                        ("old_status", models.CharField(blank=True, max_length=50, null=True)),
                        ("new_status", models.CharField(max_length=50)),
                        (
                            "changed_at",
                            models.DateTimeField(
                                db_default=musicplatform.db.CurrentTimestamp(), editable=False
                            ),
                        ),
                        (
                            "changed_by",
                            models.ForeignKey(
                                blank=True,
                                db_column="changed_by",
                                db_index=False,
                                null=True,
                                on_delete=django.db.models.deletion.DB_SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "status history",
                        "db_table": "status_history",
                        "indexes": [
                            models.Index(
                                fields=["entity_type", "entity_id"],
                                name="idx_status_history_entity",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
