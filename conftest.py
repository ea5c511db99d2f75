import os
from datetime import UTC, datetime

import pytest
from hypothesis import settings

# Fixtures that take our own services down for real (Redis, the Celery broker), the
# gateway payments go to, and the scan that fails any test whose log records hold a secret.
pytest_plugins = [
    "musicplatform.tests.outages",
    "musicplatform.tests.log_secrets",
    "payments.tests.fixtures",
]

# CI and `make test` run the same examples all day, and other ones the next day: the seed
# is the date (printed in the header; `--hypothesis-seed=N` replays a day), so the search
# is never stuck on the same examples and a failure is reproducible. No example database.
# HYPOTHESIS_PROFILE=explore searches randomly and remembers failures locally.
settings.register_profile("ci", database=None, max_examples=25)
settings.register_profile("explore", max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Before hypothesis' own plugin reads it: the day's seed, unless one is given."""
    if settings.get_current_profile_name() == "ci" and config.option.hypothesis_seed is None:
        config.option.hypothesis_seed = datetime.now(UTC).strftime("%Y%m%d")


def pytest_report_header(config):
    return f"hypothesis seed: {config.option.hypothesis_seed} (--hypothesis-seed=N replays it)"


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache in the real Redis, like a fresh deploy."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _celery_join_flag():
    """Celery keeps "a task is running here" in one process-wide flag that each eager task
    sets and restores; eager tasks run at once in several threads (the concurrency tests)
    can restore it out of order and leave it set, and every later `result.get()` would
    then be refused. Each test starts with it cleared, as a fresh process would."""
    from celery.result import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield
