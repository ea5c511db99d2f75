from django.db import migrations

from musicplatform.db import updated_at_trigger


class Migration(migrations.Migration):
    dependencies = [("artists", "0001_initial"), ("accounts", "0002_updated_at_triggers")]

    operations = [
        updated_at_trigger("artists"),
        updated_at_trigger("artist_payout_methods"),
    ]
