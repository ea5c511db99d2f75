from django.db import migrations


class Migration(migrations.Migration):
    """status_history now belongs to the core audit app (its 0001 takes the model over); the
    table and its rows are untouched."""

    dependencies = [
        ("audit", "0001_status_history_from_notifications"),
        ("notifications", "0005_artist_and_fan_notification_types"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="StatusHistory")],
            database_operations=[],
        ),
    ]
