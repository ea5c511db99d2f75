"""What error reports (the 500 email, Sentry-like handlers, DEBUG pages) may show."""

import re

from django.views.debug import SafeExceptionReporterFilter


class SensitiveFieldsFilter(SafeExceptionReporterFilter):
    """Hides every POST field named like a credential or a payment detail, also in views
    that do not declare `sensitive_post_parameters` (allauth's reauthentication, say)."""

    sensitive_fields = re.compile(
        r"pass|card|iban|account_holder|paypal|token|secret|key|code", re.IGNORECASE
    )

    def get_post_parameters(self, request):
        shown = super().get_post_parameters(request)
        if request is None:
            return shown
        shown = shown.copy()
        for name in shown:
            if self.sensitive_fields.search(name):
                shown[name] = self.cleansed_substitute
        return shown
