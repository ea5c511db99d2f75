from django.db import migrations, models

TARGETS = {"posts": "post_id", "reviews": "review_id"}

# Live comments (replies included, soft-deleted ones not) of each post and review, kept
# like the like counters (0005): a statement-level trigger per kind of change, so that one
# comment and a batch of a million (generate_data) both update each target once, in the
# comments' own transaction. An update counts down the rows that stopped being live here
# (deleted, or moved) and up the ones that became live.
LIVE_STEPS = {
    "INSERT": "SELECT {column}, 1 AS step FROM new_rows WHERE deleted_at IS NULL",
    "DELETE": "SELECT {column}, -1 AS step FROM old_rows WHERE deleted_at IS NULL",
}
LIVE_STEPS["UPDATE"] = f"{LIVE_STEPS['INSERT']} UNION ALL {LIVE_STEPS['DELETE']}"


def _apply_steps(operation: str) -> str:
    return "".join(
        f"""
        UPDATE {table} t SET comments_count = t.comments_count + d.n
        FROM (SELECT {column}, sum(step) AS n
              FROM ({LIVE_STEPS[operation].format(column=column)}) steps
              WHERE {column} IS NOT NULL GROUP BY {column}) d
        WHERE t.{column} = d.{column} AND d.n <> 0;"""
        for table, column in TARGETS.items()
    )


# PL/pgSQL plans a statement when it first runs it, so each branch may name only the
# transition tables its own trigger has.
COUNT_FUNCTION = f"""
CREATE FUNCTION comments_count_update() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {_apply_steps("INSERT")}
    ELSIF TG_OP = 'DELETE' THEN {_apply_steps("DELETE")}
    ELSE {_apply_steps("UPDATE")}
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER comments_count_insert AFTER INSERT ON comments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comments_count_update();
CREATE TRIGGER comments_count_delete AFTER DELETE ON comments
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comments_count_update();
CREATE TRIGGER comments_count_update AFTER UPDATE ON comments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comments_count_update();
"""

BACKFILL = "".join(
    f"""
UPDATE {table} t SET comments_count = d.n
FROM (SELECT {column}, count(*) AS n FROM comments
      WHERE {column} IS NOT NULL AND deleted_at IS NULL GROUP BY {column}) d
WHERE t.{column} = d.{column};
"""
    for table, column in TARGETS.items()
)


def updated_at_unless_counted(table: str, *, counters: list[str]) -> str:
    """A like or a comment is not an edit: updated_at stays when only a counter moves."""
    unchanged = " AND ".join(f"OLD.{c} = NEW.{c}" for c in counters)
    return (
        f"DROP TRIGGER {table}_set_updated_at ON {table}; "
        f"CREATE TRIGGER {table}_set_updated_at BEFORE UPDATE ON {table} FOR EACH ROW "
        f"WHEN ({unchanged}) EXECUTE FUNCTION set_updated_at();"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0005_like_counters"),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="comments_count",
            field=models.IntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="review",
            name="comments_count",
            field=models.IntegerField(db_default=0, default=0, editable=False),
        ),
        *(
            migrations.RunSQL(
                sql=updated_at_unless_counted(table, counters=["likes_count", "comments_count"]),
                reverse_sql=updated_at_unless_counted(table, counters=["likes_count"]),
            )
            for table in TARGETS
        ),
        migrations.RunSQL(
            sql=COUNT_FUNCTION,
            reverse_sql=(
                "DROP TRIGGER comments_count_insert ON comments; "
                "DROP TRIGGER comments_count_delete ON comments; "
                "DROP TRIGGER comments_count_update ON comments; "
                "DROP FUNCTION comments_count_update();"
            ),
        ),
        migrations.RunSQL(sql=BACKFILL, reverse_sql=migrations.RunSQL.noop),
    ]
