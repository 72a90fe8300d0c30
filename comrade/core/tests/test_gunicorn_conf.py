"""config/gunicorn_conf.py: the multiprocess metrics directory is emptied at start (only
prometheus_client's files) and a dead worker's files are marked dead."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

CONF = Path(__file__).resolve().parents[3] / "config" / "gunicorn_conf.py"


def load():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_the_variable_the_hooks_do_nothing(monkeypatch, tmp_path):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    conf = load()
    conf.on_starting(None)
    conf.child_exit(None, SimpleNamespace(pid=12345))


def test_start_clears_old_metric_files_only_and_a_dead_worker_is_marked(monkeypatch, tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_111.db").write_bytes(b"old")
    (directory / "keep.txt").write_text("not ours")
    (directory / "gauge_livesum_222.db").write_bytes(b"live")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    conf = load()
    conf.on_starting(None)
    assert sorted(path.name for path in directory.iterdir()) == ["keep.txt"]
    (directory / "gauge_livesum_222.db").write_bytes(b"live")
    (directory / "counter_222.db").write_bytes(b"kept")
    conf.child_exit(None, SimpleNamespace(pid=222))
    assert sorted(path.name for path in directory.iterdir()) == ["counter_222.db", "keep.txt"]
