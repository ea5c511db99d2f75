"""Users: sign-up and sign-in (allauth), email verification, preferences and follows,
account deletion (announced to the apps above by `accounts.signals.account_deleted`)."""
