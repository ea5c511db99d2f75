from django.db import migrations

from musicplatform.db import UPDATED_AT_FUNCTION, updated_at_trigger


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.RunSQL(UPDATED_AT_FUNCTION, "DROP FUNCTION IF EXISTS set_updated_at();"),
        updated_at_trigger("users"),
        updated_at_trigger("user_preferences"),
    ]
