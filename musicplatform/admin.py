"""The admin site, whose login shares the sign-in limit of the rest of the site."""

from django.contrib import admin

from accounts import ratelimit


class AdminSite(admin.AdminSite):
    def login(self, request, extra_context=None):
        if request.method == "POST" and ratelimit.login_refused(
            request, request.POST.get("username", "")
        ):
            return ratelimit.too_many_failures(request)
        return super().login(request, extra_context)
