"""Which gateway takes the payments of a test, for every app's tests (a pytest plugin,
listed in the root conftest.py): the built-in test gateway, or Stripe with its HTTP API
stubbed (`payments/tests/stripe_stub.py`) and its webhooks signed with the stub's secret."""

import pytest
import responses

from payments.tests import stripe_stub


@pytest.fixture
def test_gateway(settings):
    """Payments go to the built-in test gateway (Stripe unconfigured)."""
    settings.STRIPE_SECRET_KEY = None


@pytest.fixture
def stripe_configured(settings):
    """Payments go to Stripe, with test keys."""
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    settings.STRIPE_WEBHOOK_SECRET = stripe_stub.WEBHOOK_SECRET


@pytest.fixture
def stripe_api(stripe_configured):
    """Stripe's HTTP API: each test adds the answers it expects, and every one must be
    asked for."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock
