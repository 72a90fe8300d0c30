"""The WSGI application the benchmark and reliability servers run: the project's own
(config.wsgi), plus the module named in BENCH_PATCH when set, so that a candidate change
(bench/candidates/) can be measured against the same load without editing the app."""

from bench.infra.patch import apply_patch
from config.wsgi import application

apply_patch()

__all__ = ["application"]
