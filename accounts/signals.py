"""Events of accounts that the apps above it act on: accounts imports none of them."""

from django.dispatch import Signal

# Sent inside the transaction that deletes (anonymises) an account, with the user locked
# and already marked deleted (`user`). Each app ends what could still charge or act for
# the account: artists remove its artist profiles, communities end its memberships, the
# shop cancels its pending orders and forgets its cards and addresses. Receivers run in
# INSTALLED_APPS order, which is also the lock order (artist before payments and orders).
account_deleted = Signal()
