# Issue 17: a membership's status (14a) and the price its member accepted (item 4).

import musicplatform.db
from django.db import migrations, models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When


def backfill_status_and_price(apps, schema_editor):
    """The status each row's flags mean, and the price every member pays today (the
    community's current fee and interval, which renewals charged until now)."""
    Community = apps.get_model("communities", "Community")
    Subscription = apps.get_model("communities", "CommunitySubscription")
    community = Community.objects.filter(pk=OuterRef("community_id"))
    Subscription.objects.update(
        status=Case(
            # A join whose first payment never completed: its period never started.
            When(is_active=False, end_date__lte=F("start_date"), then=Value("pending")),
            When(is_active=False, then=Value("ended")),
            When(auto_renew=False, then=Value("cancelled")),
            When(grace_until__isnull=False, then=Value("grace")),
            default=Value("active"),
        ),
        price=Subquery(community.values("subscription_fee")[:1]),
        billing_interval=Subquery(community.values("subscription_interval")[:1]),
        price_accepted_at=F("start_date"),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("communities", "0006_member_counts_refresh_function"),
    ]

    operations = [
        migrations.AddField(
            model_name="communitysubscription",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting for payment"),
                    ("active", "Active"),
                    ("grace", "Renewal payment due"),
                    ("cancelled", "Not renewing"),
                    ("ended", "Ended"),
                ],
                db_default="active",
                default="active",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="communitysubscription",
            name="price",
            field=models.DecimalField(decimal_places=2, max_digits=10, null=True),
        ),
        migrations.AddField(
            model_name="communitysubscription",
            name="billing_interval",
            field=models.CharField(
                choices=[("monthly", "Monthly"), ("yearly", "Yearly")], max_length=20, null=True
            ),
        ),
        migrations.AddField(
            model_name="communitysubscription",
            name="price_accepted_at",
            field=models.DateTimeField(db_default=musicplatform.db.CurrentTimestamp()),
        ),
        migrations.RunPython(backfill_status_and_price, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="communitysubscription",
            name="price",
            field=models.DecimalField(decimal_places=2, max_digits=10),
        ),
        migrations.AlterField(
            model_name="communitysubscription",
            name="billing_interval",
            field=models.CharField(
                choices=[("monthly", "Monthly"), ("yearly", "Yearly")], max_length=20
            ),
        ),
        migrations.AddConstraint(
            model_name="communitysubscription",
            constraint=models.CheckConstraint(
                condition=Q(is_active=True, status__in=("active", "grace", "cancelled"))
                | (Q(is_active=False) & ~Q(status__in=("active", "grace", "cancelled"))),
                name="community_subscriptions_is_active_status",
            ),
        ),
        migrations.AddConstraint(
            model_name="communitysubscription",
            constraint=models.CheckConstraint(
                condition=Q(price__gte=0), name="community_subscriptions_price_not_negative"
            ),
        ),
    ]
