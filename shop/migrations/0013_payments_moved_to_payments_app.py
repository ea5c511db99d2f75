"""Payments, their gateway events and saved cards now belong to the payments app
(payments/migrations/0001_payments_moved_from_shop.py). State only: no table, column or
row changes; the shop's foreign keys to payments point at the same table as before.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0009_payment_foreign_keys_to_payments_app"),
        ("payments", "0001_payments_moved_from_shop"),
        ("shop", "0012_full_text_search"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="featureditem",
                    name="payment",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DB_SET_NULL,
                        related_name="featured_items",
                        to="payments.payment",
                    ),
                ),
                migrations.AlterField(
                    model_name="refund",
                    name="payment",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DB_SET_NULL,
                        related_name="order_refunds",
                        to="payments.payment",
                    ),
                ),
                migrations.DeleteModel(name="PaymentEvent"),
                migrations.DeleteModel(name="SavedPaymentMethod"),
                migrations.DeleteModel(name="Payment"),
            ],
            database_operations=[],
        ),
    ]
