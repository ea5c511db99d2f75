"""Log filters: what a log line may never carry, taken out before any handler sees it."""

import logging
import re

# Addresses whose last part is a secret: email-verification and password-reset links.
# Django logs the path of every 4xx and 5xx answer ("Gone: /accounts/verify-email/…").
SECRET_PATHS = re.compile(r"(/accounts/(?:verify-email/\d+|password/reset/key)/)[^/\s\"']+")


class RedactSecretPaths(logging.Filter):
    """Set on the loggers that log request paths (LOGGING in settings/base.py): a filter
    of the logger itself changes the record before it reaches any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = SECRET_PATHS.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
