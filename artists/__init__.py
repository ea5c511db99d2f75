"""Artist profiles, verification by staff, payout methods and the artist dashboard;
removal is announced to the apps above by `artists.signals.artist_removed`."""
