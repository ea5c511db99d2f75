"""Who earns from a payment, asked of the domain that sold it.

Each purpose (shop.models.PaymentPurpose) registers one function from its app's
`AppConfig.ready()`; the ledger never imports the domains. A purpose with no function
(featured placements) earns no artist: it is platform revenue.
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


PayeesOf = Callable[..., list[Payee]]

_registry: dict[str, PayeesOf] = {}


def payees_register(purpose: str, fn: PayeesOf) -> None:
    """`fn(*, payment) -> list[Payee]` answers for `purpose`; one function per purpose."""
    registered = _registry.get(purpose)
    if registered is not None and registered is not fn:
        raise ValueError(f"Payees of {purpose!r} are already answered by {registered!r}.")
    _registry[purpose] = fn


def payees_of(*, payment) -> list[Payee]:
    fn = _registry.get(payment.purpose)
    return fn(payment=payment) if fn is not None else []
