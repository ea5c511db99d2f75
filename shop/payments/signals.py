"""What the payment service tells other layers (the ledger) about money that moved.

Sent inside the transaction that moved the payment, right after the status move, with the
payment locked: a receiver's writes commit or roll back with it.
"""

from django.dispatch import Signal

# A payment went pending/requires_action → completed. Sent with `payment`.
payment_completed = Signal()
# Money of a completed payment was given back. Sent with `payment`, `amount` (what this
# refund gave back) and `refunded_total` (the running total, which keys it: told once).
payment_refunded = Signal()
# A chargeback was opened on a completed payment: `amount` was withdrawn from us.
# Sent with `payment`, `amount` and `dispute_ref` (the gateway's dispute id, which keys it).
payment_disputed = Signal()
# A chargeback closed. Sent with `payment`, `dispute_ref` and `won` (the money came back).
dispute_closed = Signal()
