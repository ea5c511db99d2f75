from django.db import migrations, models


class Migration(migrations.Migration):
    """`payments.payment_method` held the gateway (`stripe` / `test`); the gateway moves to
    a column of its own and `payment_method` says how the customer paid, as the design
    document means it. Which card paid an old payment is not known: it is left empty."""

    dependencies = [
        ("shop", "0010_fulfilment_shipping_addresses"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="gateway",
            field=models.CharField(
                choices=[("stripe", "Stripe"), ("test", "Built-in test gateway")],
                max_length=20,
                null=True,
            ),
        ),
        migrations.RunSQL(
            sql="UPDATE payments SET gateway = payment_method, payment_method = ''",
            reverse_sql="UPDATE payments SET payment_method = gateway",
        ),
        migrations.AlterField(
            model_name="payment",
            name="gateway",
            field=models.CharField(
                choices=[("stripe", "Stripe"), ("test", "Built-in test gateway")], max_length=20
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="payment_method",
            field=models.CharField(blank=True, db_default="", default="", max_length=50),
        ),
        migrations.AddField(
            model_name="payment",
            name="failure_reason",
            field=models.CharField(blank=True, db_default="", default="", max_length=255),
        ),
        migrations.AddField(
            model_name="order",
            name="reserved_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
