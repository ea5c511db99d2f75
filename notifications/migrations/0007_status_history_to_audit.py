from django.db import migrations


class Migration(migrations.Migration):
    """status_history now belongs to the core audit app (its 0001 takes the model over); the
    table and its rows are untouched."""

    dependencies = [
        ("audit", "0001_status_history_from_notifications"),
        ("notifications", "0006_forum_reply_and_mention_notifications"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="StatusHistory")],
            database_operations=[],
        ),
    ]
