from django.db import migrations

# Only the owner of a materialized view may refresh it, and the app runs as a role that
# owns nothing (`manage.py db_roles`). This function runs as its owner, the schema owner
# who runs the migrations, and does exactly one thing; its search_path is fixed so that
# a caller's objects cannot stand in for the view. PUBLIC may not call it: the runtime
# role is granted EXECUTE by db_roles' default privileges.
REFRESH_FUNCTION = """
CREATE FUNCTION community_member_counts_refresh() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    REFRESH MATERIALIZED VIEW CONCURRENTLY public.community_member_counts;
END
$$;
REVOKE EXECUTE ON FUNCTION community_member_counts_refresh() FROM PUBLIC;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0005_member_counts"),
    ]

    operations = [
        migrations.RunSQL(
            sql=REFRESH_FUNCTION,
            reverse_sql="DROP FUNCTION community_member_counts_refresh();",
        ),
    ]
