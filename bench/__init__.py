"""Benchmarks for Comrade Pay (`make bench`, `python -m bench.run`).

Each benchmark is a module with `main()` that runs as its own process against a dedicated database
(`comrade_bench` on PostgreSQL, `/tmp/comrade-bench.sqlite3`), prints its figures as JSON and never
asserts a timing: figures are reported, invariants (money conserved, exactly-once) are checked.
`bench.run` runs them in turn and writes `bench/results/<stamp>.json` and `.md`.
"""
