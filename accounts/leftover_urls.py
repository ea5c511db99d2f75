"""allauth routes the platform does not use, answered 404 before allauth's own patterns.

Email addresses are confirmed with our own single-use tokens (accounts:verify_email), so
allauth's confirmation by signed key is not a second way in; sign-in by emailed code and
Google's one-tap token are not offered; /accounts/social/ is allauth's old prefix for
/accounts/3rdparty/. The names keep the routes in the authorization matrix
(musicplatform/tests/test_authorization.py), which expects 404 for everyone.
"""

from django.urls import path, re_path

from musicplatform.views import unused_route

app_name = "leftover"
urlpatterns = [
    re_path(r"^confirm-email/(?P<key>[-:\w]+)/$", unused_route, name="confirm_email_by_key"),
    path("login/code/confirm/", unused_route, name="login_by_code"),
    path("google/login/token/", unused_route, name="google_token_login"),
    re_path(r"^social/", unused_route, name="old_social_prefix"),
]
