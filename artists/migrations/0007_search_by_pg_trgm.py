import importlib

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# The plpgsql trigrams of 0004, so that migrating backwards restores them.
previous = importlib.import_module("artists.migrations.0004_name_trigram_search")


class Migration(migrations.Migration):
    dependencies = [
        ("artists", "0006_artist_removal"),
    ]

    operations = [
        # pg_trgm is a trusted extension: the schema owner running migrate creates it
        # (it needs CREATE on the database, which `manage.py db_roles` grants).
        TrigramExtension(),
        migrations.RemoveIndex(model_name="artist", name="idx_artists_name_trigrams"),
        migrations.RemoveField(model_name="artist", name="name_trigrams"),
        migrations.RunSQL(
            "DROP FUNCTION IF EXISTS artist_name_trigrams(text);", previous.NAME_TRIGRAMS
        ),
        migrations.AddIndex(
            model_name="artist",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["artist_name"], name="idx_artists_name_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
