"""Sent by the payment service inside the transaction that moved the payment, after the
purpose's handler ran, with `payment` (locked) and `by`: for whoever else must learn of
money moving (caches, the ledger) without being the thing paid for."""

from django.dispatch import Signal

payment_completed = Signal()
# Every refund, partial or full; `payment.payment_status` tells which.
payment_refunded = Signal()
