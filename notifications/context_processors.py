from notifications.selectors import unread_count


def unread_notifications(request):
    """The header's unread badge: one indexed COUNT, and only for signed-in pages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notification_count": lambda: unread_count(
            user=user, read_with_the_user=getattr(request, "read_with_the_user", {})
        )
    }
