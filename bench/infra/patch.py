import importlib
import os


def apply_patch() -> str:
    """Import the candidate module named in BENCH_PATCH (after Django is set up), if any."""
    name = os.environ.get("BENCH_PATCH", "")
    if name:
        importlib.import_module(name)
    return name
