"""Releases and their tracks: audio processing, the player, plays, collections and
wishlists; each published release is sold as a shop product."""
