"""Who earns from a payment, asked of the domain that sold it.

Each purpose (shop.models.PaymentPurpose) registers one function from its app's
`AppConfig.ready()`; the ledger never imports the domains. A purpose with no function
(featured placements) earns no artist: it is platform revenue. Functions answer for many
payments at once (`fn(*, payments) -> {payment_id: [Payee, …]}`) in a fixed number of
queries, so generate_data books 200 000 payments without a query each.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True)
class Payee:
    artist_id: UUID
    # The part of the payment's gross that pays for this artist's goods or community.
    amount: Decimal


PayeesOf = Callable[..., dict]

_registry: dict[str, PayeesOf] = {}


def payees_register(purpose: str, fn: PayeesOf) -> None:
    """`fn(*, payments) -> {payment_id: [Payee, …]}` answers for `purpose`; one function
    per purpose."""
    registered = _registry.get(purpose)
    if registered is not None and registered is not fn:
        raise ValueError(f"Payees of {purpose!r} are already answered by {registered!r}.")
    _registry[purpose] = fn


def payees_of_many(*, payments) -> dict:
    """Who earns from each payment, by payment id (every id present)."""
    by_purpose: dict[str, list] = {}
    for payment in payments:
        by_purpose.setdefault(payment.purpose, []).append(payment)
    payees = {payment.pk: [] for payment in payments}
    for purpose, of_purpose in by_purpose.items():
        fn = _registry.get(purpose)
        if fn is not None:
            payees.update(fn(payments=of_purpose))
    return payees


def payees_of(*, payment) -> list[Payee]:
    return payees_of_many(payments=[payment])[payment.pk]
