"""A query read in every text search configuration, each distinct reading once, as one
SQL function.

Search matches a post or review in whichever language it is written by looking the query
up in the GIN index in every configuration at once (musicplatform/search.py). Built in the
ORM, an OR of 30 `websearch_to_tsquery` calls cost about 25 ms of Python per query to
compile; as an IMMUTABLE function of a constant, PostgreSQL folds it into one tsquery when
planning, so the index still serves it. Most configurations read a query alike ("velvet
echo" is 'velvet' & 'echo' in 24 of the 30), and an OR of all 30 readings made the GIN
index check every candidate row against a query tree thirty branches wide (44 to 66 ms for
the reviews of the scale-1 data against 12 ms for the six distinct readings;
docs/performance.md, "Round 2: site search"). The distinct readings are joined through
tsquery's text form, which reads back as the same tsquery; readings with no word (a stop
word in that language) are left out, as `||` with an empty tsquery does. The list is
musicplatform.db.SEARCH_CONFIGS as of this migration (tests check the function against
that tuple and pg_ts_config).
"""

from django.db import migrations

CONFIGS = (
    "arabic", "armenian", "basque", "catalan", "danish", "dutch", "english", "estonian", "finnish",
    "french", "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian",
    "lithuanian", "nepali", "norwegian", "portuguese", "romanian", "russian", "serbian",
    "simple", "spanish", "swedish", "tamil", "turkish", "yiddish",
)  # fmt: skip

READINGS = ", ".join(f"(websearch_to_tsquery('{config}'::regconfig, query))" for config in CONFIGS)

CREATE = (
    "CREATE FUNCTION websearch_to_tsquery_any_language(query text) RETURNS tsquery "  # noqa: S608 - constant configuration names
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE RETURN ("
    "SELECT coalesce(string_agg(DISTINCT '(' || reading::text || ')', ' | '), '')::tsquery "
    f"FROM (VALUES {READINGS}) AS readings (reading) WHERE numnode(reading) > 0"
    ");"
)


class Migration(migrations.Migration):
    dependencies = [("content", "0010_language_and_search_config_per_row")]

    operations = [
        migrations.RunSQL(
            sql=CREATE, reverse_sql="DROP FUNCTION websearch_to_tsquery_any_language(text);"
        )
    ]
