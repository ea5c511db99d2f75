"""The promises of docs/payments.md's "Promises: paying": what a payer notices when a
payment fails, which card paid, and that no one pays on a site that takes no money."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEST_MODE_BANNER = "Test mode — no real money"


@pytest.mark.parametrize("page", ["home", "shop:list", "account_login"])
def test_every_page_says_test_mode_while_the_test_gateway_takes_the_payments(
    client, settings, page
):
    settings.STRIPE_SECRET_KEY = None

    assert TEST_MODE_BANNER in client.get(reverse(page)).text


def test_no_banner_when_stripe_takes_real_payments(client, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_suite"

    assert TEST_MODE_BANNER not in client.get(reverse("home")).text
