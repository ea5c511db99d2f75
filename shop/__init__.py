"""Products, carts, orders, fulfilment, downloads, refunds and featured placements; payments
and their gateways live in `shop.payments` until they move to an app of their own."""
