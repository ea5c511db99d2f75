"""The ledger: double-entry books of what each payment owes whom, artists' balances and
their payouts (Stripe Connect, SEPA, PayPal)."""
