"""Candidate changes to the app, measured with BENCH_PATCH=bench.candidates.<name> and never applied
by the benchmarks to the app's code. A candidate is a module that, when imported (after Django is
set up, in the benchmark processes and in every gunicorn worker), replaces one function of the
running process with `replace_code`, and says in its docstring which file the real change belongs
in. The two measured during issue 7 (lock only the group row; settle in two statements) have been
applied to the app since, so none is kept here."""


def replace_code(target, replacement) -> None:
    """Give `target` the body of `replacement`. The body runs with the original's globals, so every
    module that imported `target` by name runs the candidate."""
    target.__code__ = replacement.__code__
