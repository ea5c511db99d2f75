"""Encryption of payout details at rest (docs/schema.md, D6).

`settings.PAYOUT_ENCRYPTION_KEY` holds one or more Fernet keys separated by commas, newest
first: new rows are encrypted with the first key, and every listed key can still decrypt,
so a key is rotated by putting a new one in front and re-encrypting (`payout_methods_rotate`)
before the old one is dropped.
"""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

ENVELOPE_VERSION = 1


class PayoutDetailsUnreadable(Exception):
    """The stored envelope is not ours, or no configured key can decrypt it."""


def _keys() -> MultiFernet:
    keys = [key.strip() for key in settings.PAYOUT_ENCRYPTION_KEY.split(",") if key.strip()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt_details(details: dict) -> dict:
    token = _keys().encrypt(json.dumps(details, sort_keys=True).encode())
    return {"v": ENVELOPE_VERSION, "ciphertext": token.decode()}


def _token(envelope) -> bytes:
    if not isinstance(envelope, dict) or envelope.get("v") != ENVELOPE_VERSION:
        raise PayoutDetailsUnreadable("Unknown payout details envelope.")
    ciphertext = envelope.get("ciphertext")
    if not isinstance(ciphertext, str):
        raise PayoutDetailsUnreadable("The envelope holds no ciphertext.")
    return ciphertext.encode()


def decrypt_details(envelope) -> dict:
    try:
        return json.loads(_keys().decrypt(_token(envelope)))
    except InvalidToken as error:
        raise PayoutDetailsUnreadable("No configured key decrypts these details.") from error


def reencrypt(envelope) -> dict:
    """The same details encrypted with the newest key."""
    try:
        token = _keys().rotate(_token(envelope))
    except InvalidToken as error:
        raise PayoutDetailsUnreadable("No configured key decrypts these details.") from error
    return {"v": ENVELOPE_VERSION, "ciphertext": token.decode()}
