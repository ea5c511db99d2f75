from django.core.management.base import BaseCommand

from artists.services import payout_methods_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every payout method with the first key of PAYOUT_ENCRYPTION_KEY, so that "
        "the older keys listed after it can then be removed."
    )

    def handle(self, *args, **options):
        count = payout_methods_rotate()
        self.stdout.write(f"Re-encrypted {count} payout method(s) with the newest key.")
