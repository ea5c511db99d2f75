"""What the payment service tells those who must learn of money moving without being the
thing paid for (the ledger, caches).

Sent inside the transaction that moved the payment, after the purpose's handler ran, with
the payment locked: a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

# A payment went pending/requires_action → completed. Sent with `payment`, `by` and `payees`
# (who earns from it, when the caller that charged it said so; None: ask its purpose's
# handler, `ledger.payees`).
payment_completed = Signal()
# Money of a completed payment was given back, in part or in full (`payment.payment_status`
# tells). Sent with `payment`, `by`, `amount` (what this refund gave back) and
# `refunded_total` (the running total, which keys it: told once).
payment_refunded = Signal()
# A chargeback was opened on a completed payment: `amount` was withdrawn from us.
# Sent with `payment`, `amount` and `dispute_ref` (the gateway's dispute id, which keys it).
payment_disputed = Signal()
# A chargeback closed. Sent with `payment`, `dispute_ref` and `won` (the money came back).
dispute_closed = Signal()
