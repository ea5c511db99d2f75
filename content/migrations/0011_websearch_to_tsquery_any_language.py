"""A query read in every text search configuration, OR-ed, as one SQL function.

Search matches a post or review in whichever language it is written by looking the query
up in the GIN index in every configuration at once (musicplatform/search.py). Built in the
ORM, that OR of 30 `websearch_to_tsquery` calls cost about 25 ms of Python per query to
compile; as an IMMUTABLE function of a constant, PostgreSQL folds it into one tsquery when
planning, so the index still serves it. The list is musicplatform.db.SEARCH_CONFIGS as of
this migration (a test checks the function against that tuple and pg_ts_config).
"""

from django.db import migrations

CONFIGS = (
    "arabic", "armenian", "basque", "catalan", "danish", "dutch", "english", "estonian", "finnish",
    "french", "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian",
    "lithuanian", "nepali", "norwegian", "portuguese", "romanian", "russian", "serbian",
    "simple", "spanish", "swedish", "tamil", "turkish", "yiddish",
)  # fmt: skip

CREATE = (
    "CREATE FUNCTION websearch_to_tsquery_any_language(query text) RETURNS tsquery "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE RETURN "
    + " || ".join(f"websearch_to_tsquery('{config}'::regconfig, query)" for config in CONFIGS)
    + ";"
)


class Migration(migrations.Migration):
    dependencies = [("content", "0010_language_and_search_config_per_row")]

    operations = [
        migrations.RunSQL(
            sql=CREATE, reverse_sql="DROP FUNCTION websearch_to_tsquery_any_language(text);"
        )
    ]
