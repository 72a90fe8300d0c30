import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache, which outlives a test; start each test from zero."""
    cache.clear()
    yield
    cache.clear()
