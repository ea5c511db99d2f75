"""Who earns from a payment, asked of the domain that sold it through its purpose
handler (payments.purposes): the ledger never imports the domains. A payment no artist
earns from (a featured placement) is platform revenue.
"""

from payments.purposes import Payee, purpose_handler


def payees_of_many(*, payments) -> dict:
    """Who earns from each payment, by payment id (every id present)."""
    by_purpose: dict[str, list] = {}
    for payment in payments:
        by_purpose.setdefault(payment.purpose, []).append(payment)
    payees: dict = {payment.pk: [] for payment in payments}
    for purpose, of_purpose in by_purpose.items():
        payees.update(purpose_handler(purpose).payees(payments=of_purpose))
    return payees


def payees_of(*, payment) -> list[Payee]:
    return payees_of_many(payments=[payment])[payment.pk]
