"""`websearch_to_tsquery_any_language` ORs each distinct reading of the query once.

Most configurations read a query alike ("velvet echo" is 'velvet' & 'echo' in 24 of the
30), and migration 0011's function OR-ed all 30 readings: the GIN index then checks every
candidate row against a query tree thirty branches wide (44 to 66 ms for the reviews of the
scale-1 data against 12 ms for the six distinct readings; docs/performance.md, "Round 2").
The distinct readings are joined through tsquery's text form, which reads back as the same
tsquery; readings with no word (a stop word in that language) are left out, as `||` with an
empty tsquery does. Still IMMUTABLE of a constant: PostgreSQL folds it when planning.
"""

from django.db import migrations

CONFIGS = (
    "arabic", "armenian", "basque", "catalan", "danish", "dutch", "english", "estonian", "finnish",
    "french", "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian",
    "lithuanian", "nepali", "norwegian", "portuguese", "romanian", "russian", "serbian",
    "simple", "spanish", "swedish", "tamil", "turkish", "yiddish",
)  # fmt: skip

READINGS = ", ".join(f"(websearch_to_tsquery('{config}'::regconfig, query))" for config in CONFIGS)

CREATE_OR_REPLACE = (
    "CREATE OR REPLACE FUNCTION websearch_to_tsquery_any_language(query text) RETURNS tsquery "  # noqa: S608 - constant configuration names
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE RETURN ("
    "SELECT coalesce(string_agg(DISTINCT '(' || reading::text || ')', ' | '), '')::tsquery "
    f"FROM (VALUES {READINGS}) AS readings (reading) WHERE numnode(reading) > 0"
    ");"
)

OR_OF_EVERY_READING = (
    "CREATE OR REPLACE FUNCTION websearch_to_tsquery_any_language(query text) RETURNS tsquery "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE RETURN "
    + " || ".join(f"websearch_to_tsquery('{config}'::regconfig, query)" for config in CONFIGS)
    + ";"
)


class Migration(migrations.Migration):
    dependencies = [("content", "0011_websearch_to_tsquery_any_language")]

    operations = [migrations.RunSQL(sql=CREATE_OR_REPLACE, reverse_sql=OR_OF_EVERY_READING)]
