"""How amounts and dates read, in templates (`|money`) and in messages built in Python alike."""

import datetime
from decimal import Decimal

from babel.numbers import format_currency
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, to_locale


def money_format(amount: Decimal, currency: str = "") -> str:
    """An amount in the reader's locale, in the platform's currency (PAYMENTS_CURRENCY)
    unless another is given: "$12.50", "12,50 €"."""
    locale = to_locale(get_language() or settings.LANGUAGE_CODE)
    return format_currency(amount, currency or settings.PAYMENTS_CURRENCY, locale=locale)


def moment_format(value: datetime.datetime, *, with_time: bool = True) -> str:
    """A moment in the current time zone, named: "2 Mar 2026, 18:30 (UTC)" or "2 Mar 2026"."""
    local = timezone.localtime(value)
    if not with_time:
        return date_format(local, "DATE_FORMAT")
    return f"{date_format(local, 'DATETIME_FORMAT')} ({local.tzname()})"
