from django.db import migrations

# Members as CommunitySubscription.objects.members() has them, at refresh time: access not
# over and the user not deleted (communities/tests/test_membership.py keeps them equal).
# A view's query cannot be altered, so it is made again, with its unique index (REFRESH …
# CONCURRENTLY needs it); the refresh function names it and finds the new one.
MEMBER_COUNTS = """
DROP MATERIALIZED VIEW community_member_counts;
CREATE MATERIALIZED VIEW community_member_counts AS
SELECT c.community_id,
       (count(s.subscription_id) FILTER (
           WHERE s.is_active AND (s.end_date > now() OR s.grace_until > now())
                 AND u.deleted_at IS NULL
       ))::integer AS member_count
FROM communities c
LEFT JOIN community_subscriptions s ON s.community_id = c.community_id
LEFT JOIN users u ON u.user_id = s.user_id
GROUP BY c.community_id;
CREATE UNIQUE INDEX community_member_counts_community_id ON community_member_counts (community_id);
"""

PREVIOUS_MEMBER_COUNTS = """
DROP MATERIALIZED VIEW community_member_counts;
CREATE MATERIALIZED VIEW community_member_counts AS
SELECT c.community_id,
       (count(s.subscription_id) FILTER (
           WHERE s.is_active AND (s.end_date > now() OR s.grace_until > now())
       ))::integer AS member_count
FROM communities c
LEFT JOIN community_subscriptions s ON s.community_id = c.community_id
GROUP BY c.community_id;
CREATE UNIQUE INDEX community_member_counts_community_id ON community_member_counts (community_id);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("communities", "0013_forum_topics_replies_votes_reactions_reads"),
    ]

    operations = [migrations.RunSQL(sql=MEMBER_COUNTS, reverse_sql=PREVIOUS_MEMBER_COUNTS)]
