from django.core.management.base import BaseCommand

from ledger.payouts import payouts_run


class Command(BaseCommand):
    help = (
        "Pay every artist whose available balance reaches PAYOUT_MINIMUM, once per week "
        "(what beat runs on Mondays; safe to run again)."
    )

    def handle(self, *args, **options) -> None:
        run = payouts_run()
        self.stdout.write(f"Period {run.period}: {len(run.created)} payouts, {run.total} in all.")
