from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from musicplatform.http import id_path_pattern
from notifications import selectors, services
from notifications.forms import EmailPreferencesForm, NotificationListForm
from notifications.models import EMAILED_BY_DEFAULT, Notification


@login_required
@require_safe
def notification_list(request):
    form = NotificationListForm(request.GET)
    before = form.cleaned_data["before"] if form.is_valid() else None
    page, next_key = selectors.notification_page(user=request.user, before=before)
    next_cursor = f"{next_key[0].isoformat()}_{next_key[1]}" if next_key else None
    open_path, read_path = (
        id_path_pattern("notifications:open"),
        id_path_pattern("notifications:read"),
    )
    for notification in page:
        notification.open_path = open_path.format(notification.pk)
        notification.read_path = read_path.format(notification.pk)
    return render(
        request,
        "notifications/list.html",
        {
            "notifications": page,
            "next_cursor": next_cursor,
            "page_error": form.errors,
            # The rendered list is kept as a fragment (musicplatform/fragments.py): a row
            # changes only by being read, and the ids are the viewer's own.
            "list_vary": (*((n.pk, n.is_read) for n in page), next_cursor),
        },
    )


@login_required
@require_POST
def notification_read(request, notification_id):
    notification = get_object_or_404(Notification, pk=notification_id, user=request.user)
    services.notification_mark_read(user=request.user, notification_id=notification.pk)
    if request.htmx:
        return render(request, "notifications/_read_marker.html")
    return redirect("notifications:list")


@login_required
@require_POST
def notifications_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("notifications:list")


@login_required
@require_safe
def notification_open(request, notification_id):
    notification = get_object_or_404(Notification, pk=notification_id, user=request.user)
    services.notification_mark_read(user=request.user, notification_id=notification.pk)
    url = selectors.resource_url(notification=notification)
    if url is None:
        messages.info(request, "That item is no longer available.")
        return redirect("notifications:list")
    return redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def email_preferences(request):
    chosen = selectors.email_choices(user=request.user, defaults=EMAILED_BY_DEFAULT)
    form = EmailPreferencesForm(request.POST or None, initial={"emailed_types": chosen})
    if request.method == "POST" and form.is_valid():
        services.email_preferences_set(
            user=request.user, emailed_types=form.cleaned_data["emailed_types"]
        )
        messages.success(request, "Your email preferences are saved.")
        return redirect("notifications:email_preferences")
    return render(request, "notifications/email_preferences.html", {"form": form})
