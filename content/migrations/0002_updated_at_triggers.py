from django.db import migrations

from musicplatform.db import updated_at_trigger


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial"), ("accounts", "0002_updated_at_triggers")]

    operations = [
        updated_at_trigger("posts"),
        updated_at_trigger("reviews"),
        updated_at_trigger("comments"),
    ]
