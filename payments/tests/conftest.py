import pytest


@pytest.fixture
def test_gateway(settings):
    """Payments go to the built-in test gateway (Stripe unconfigured)."""
    settings.STRIPE_SECRET_KEY = None
