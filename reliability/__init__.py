"""The reliability suite (`make reliability`, `python -m reliability.run`): money invariants under
concurrent load, SIGKILL of the server, idempotency storms, schemathesis against the OpenAPI
schema and an access matrix, on a dedicated PostgreSQL database (`comrade_reliability`).
RELIABILITY_SHORT=1 is the CI form (under 5 minutes). Every check prints figures and the run
exits non-zero on any violation."""
