from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0005_payment_receipt_sent_at"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("is_active", True)),
                fields=["-created_at", "id"],
                name="idx_products_active_newest",
            ),
        ),
    ]
