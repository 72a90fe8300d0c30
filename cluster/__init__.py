"""`make cluster`: the multi-node deployment of docs/deployment.md rehearsed on one machine (two
gunicorn nodes, two Celery workers, one beat, Redis and PostgreSQL), with a node and a worker killed
mid-run. See cluster/run.py."""
