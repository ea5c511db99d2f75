"""Events of artists that the apps above it act on: artists imports none of them."""

from django.dispatch import Signal

# Sent inside the transaction that takes an artist off the platform, with the artist locked
# and marked removed (`artist`, and `by`: who removed them, None for the system). Each app
# ends what it holds of theirs: communities end their memberships, the shop withdraws
# their products and cancels the pending orders holding them, cached pages forget them.
artist_removed = Signal()

# Sent when staff feature artists or stop (`artist_ids`), a bulk update that saves no row.
artists_featured = Signal()
