from django.db import migrations

from musicplatform.db import updated_at_trigger


class Migration(migrations.Migration):
    dependencies = [("communities", "0002_initial"), ("accounts", "0002_updated_at_triggers")]

    operations = [
        updated_at_trigger("communities"),
        updated_at_trigger("community_subscriptions"),
        updated_at_trigger("forums"),
        updated_at_trigger("forum_posts"),
        updated_at_trigger("live_events"),
    ]
