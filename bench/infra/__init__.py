"""What the benchmarks and the reliability suite share: knobs, databases, bulk loaders, the
gunicorn server, client pools, statistics and result files."""
