from django.db import migrations

from musicplatform.db import updated_at_trigger


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial"), ("accounts", "0002_updated_at_triggers")]

    operations = [
        updated_at_trigger("products"),
        updated_at_trigger("orders"),
        updated_at_trigger("featured_items"),
    ]
