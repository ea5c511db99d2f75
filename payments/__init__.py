"""Payments: one service for everything that charges money (docs/payments.md)."""
