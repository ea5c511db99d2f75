"""allauth's password-reset token generator, backed by the `user_verification` table."""

from accounts import services


class PasswordResetTokenGenerator:
    """Issues single-use, expiring tokens stored hashed (see docs/accounts.md).

    allauth calls make_token when it mails a reset link and check_token when the link is
    opened and when the new password is posted; the token is consumed by
    accounts.forms.ResetPasswordKeyForm together with the password change.
    """

    def make_token(self, user) -> str:
        return services.password_reset_token_issue(user=user)

    def check_token(self, user, token: str) -> bool:
        if not user or not token:
            return False
        return services.password_reset_token_valid(user=user, raw_token=token)
