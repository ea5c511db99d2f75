import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache in the real Redis, like a fresh deploy."""
    from django.core.cache import cache

    cache.clear()
    yield
