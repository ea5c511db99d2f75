"""Login throttling that cannot be turned against the owner (accounts/ratelimit.py).

An attacker's failures count per account and address, with a growing delay; spraying one
address across accounts is cut off; the owner signs in from another address, or from a
browser they signed in with before, whatever the attacker did."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import LoginFailure
from accounts.ratelimit import KNOWN_DEVICE_COOKIE, pair_delay
from accounts.tests.factories import FACTORY_PASSWORD, verified_user

pytestmark = pytest.mark.django_db

ATTACKER, OWNER_HOME = "203.0.113.66", "198.51.100.7"


def attempt(client: Client, login: str, password: str, *, address: str):
    return client.post(
        reverse("account_login"), {"login": login, "password": password}, REMOTE_ADDR=address
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(times: int, login: str, *, address: str = ATTACKER) -> None:
    attacker = Client()
    for _ in range(times):
        attempt(attacker, login, "wrong-guess", address=address)


def test_an_attacker_elsewhere_does_not_lock_the_owner_out():
    owner = verified_user()
    fail(10, owner.email)

    owner_browser = Client()
    response = attempt(owner_browser, owner.email, FACTORY_PASSWORD, address=OWNER_HOME)

    assert response.status_code == 302
    assert signed_in(owner_browser)


def test_the_attacker_waits_longer_after_each_failure(settings):
    owner = verified_user()
    attacker = Client()
    free = settings.LOGIN_PAIR_FREE_FAILURES
    for _ in range(free):
        assert attempt(attacker, owner.email, "guess", address=ATTACKER).status_code == 200

    # Within the delay even the right password is refused from this address.
    assert attempt(attacker, owner.email, FACTORY_PASSWORD, address=ATTACKER).status_code == 429
    assert not signed_in(attacker)
    # Once the delay has passed, one more guess is heard; the next delay is twice as long.
    LoginFailure.objects.update(
        created_at=LoginFailure.objects.latest("created_at").created_at - pair_delay(free)
    )
    assert attempt(attacker, owner.email, "guess", address=ATTACKER).status_code == 200
    assert attempt(attacker, owner.email, "guess", address=ATTACKER).status_code == 429
    assert pair_delay(free + 1) == 2 * pair_delay(free)
    assert pair_delay(free + 60) == settings.LOGIN_PAIR_DELAY[1]


def test_password_spraying_from_one_address_is_cut_off(settings):
    victims = [verified_user() for _ in range(settings.LOGIN_FAILURE_LIMITS["ip_accounts"] + 1)]
    for victim in victims[:-1]:
        fail(1, victim.email)

    sprayer = Client()
    assert attempt(sprayer, victims[-1].email, "Summer2026!", address=ATTACKER).status_code == 429
    # The last victim, at home, is not affected.
    owner_browser = Client()
    attempt(owner_browser, victims[-1].email, FACTORY_PASSWORD, address=OWNER_HOME)
    assert signed_in(owner_browser)


def test_a_known_device_gets_in_even_from_the_attackers_address(settings):
    """The owner signed in on this browser before: its signed cookie lets them in even
    when the account has hit its ceiling from everywhere and the attacker shares their
    address (a café's network)."""
    owner = verified_user()
    browser = Client()
    attempt(browser, owner.email, FACTORY_PASSWORD, address=OWNER_HOME)
    device = browser.cookies[KNOWN_DEVICE_COOKIE].value
    browser.logout()
    browser.cookies[KNOWN_DEVICE_COOKIE] = device
    settings.LOGIN_FAILURE_LIMITS = {**settings.LOGIN_FAILURE_LIMITS, "login": 3}
    fail(2, owner.email)
    fail(2, owner.email, address="192.0.2.1")

    stranger = Client()
    assert attempt(stranger, owner.email, FACTORY_PASSWORD, address=OWNER_HOME).status_code == 429
    response = attempt(browser, owner.email, FACTORY_PASSWORD, address=ATTACKER)
    assert response.status_code == 302
    assert signed_in(browser)


def test_a_forged_known_device_cookie_counts_for_nothing():
    owner = verified_user()
    fail(5, owner.email)
    forger = Client()
    forger.cookies[KNOWN_DEVICE_COOKIE] = '["' + "0" * 64 + '"]'

    assert attempt(forger, owner.email, FACTORY_PASSWORD, address=ATTACKER).status_code == 429


def test_the_delay_grows_only_past_the_free_failures(settings):
    free = settings.LOGIN_PAIR_FREE_FAILURES
    assert pair_delay(free - 1) == timedelta(0)
    assert pair_delay(free) == settings.LOGIN_PAIR_DELAY[0]
