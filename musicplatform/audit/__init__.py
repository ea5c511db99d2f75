"""Core audit: `status_change()`, the one way a status moves, and `status_history`, its trail.

Every domain uses it; it imports no domain (it sends `status_changed` for those who listen).
"""
