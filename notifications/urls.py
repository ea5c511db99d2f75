from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read-all", views.notifications_read_all, name="read_all"),
    path("email", views.email_preferences, name="email_preferences"),
    path("<uuid:notification_id>/read", views.notification_read, name="read"),
    path("<uuid:notification_id>/open", views.notification_open, name="open"),
]
