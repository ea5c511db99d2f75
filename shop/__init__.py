"""Products, carts, orders, fulfilment, downloads, refunds and featured placements; what is
paid for them goes through the `payments` app (shop/purposes.py: one handler per purpose)."""
