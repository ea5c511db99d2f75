"""Beat's ledger work (CELERY_BEAT_SCHEDULE): the weekly payout run and Stripe's fees."""

from ledger import backends, payouts
from musicplatform.tasks import platform_task


@platform_task
def payouts_run() -> int:
    """Safe to run twice: each artist is paid once per period (ledger/payouts.py)."""
    run = payouts.payouts_run()
    backends.payouts_retry_transfers()
    return len(run.created)


@platform_task
def stripe_fees_record() -> int:
    return backends.stripe_fees_record()
