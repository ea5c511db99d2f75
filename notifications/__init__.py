"""Notifications: in-app, their email copies by each user's preferences, and fan-out to an
audience the domain that tells it builds (notifications never decides who hears)."""
