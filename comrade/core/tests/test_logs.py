"""Structured logs: every line carries the request, the user, the transaction and the job it
belongs to (docs/operations-logs.md)."""

import io
import json
import logging

import pytest
import structlog

from comrade.core import jobs, scheduler
from comrade.core.tasks import run_job
from comrade.core.tests.log_capture import capture_json_logs
from config.logging import formatter, logging_config, redact_text

TRANSFER_URL = "/payments/transactions/create_transaction/"


@pytest.fixture
def json_logs():
    with capture_json_logs() as captured:
        yield captured


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(jobs, "_registry", {})
    return jobs


@pytest.mark.django_db
def test_a_request_logs_its_request_id_and_user_id(api, user, json_logs):
    assert api.get("/payments/payment-profiles/my_profile/").status_code == 200
    [started] = json_logs.where(event="request_started")
    [finished] = json_logs.where(event="request_finished")
    assert finished["request_id"] == started["request_id"] and len(finished["request_id"]) == 36
    assert finished["user_id"] == user.pk and finished["code"] == 200
    assert finished["request"] == "GET /payments/payment-profiles/my_profile/"


@pytest.mark.django_db
def test_two_requests_get_two_request_ids_and_no_context_leaks(api, json_logs, make_user):
    api.post(TRANSFER_URL, {"receiver_id": make_user().pk, "amount": "1.00", "payment_method": "INTERNAL"})
    api.get("/payments/payment-profiles/my_profile/")
    first, second = json_logs.where(event="request_finished")
    assert first["request_id"] != second["request_id"]
    assert "transaction_token" in first and "transaction_token" not in second
    assert structlog.contextvars.get_contextvars() == {}


@pytest.mark.django_db
def test_a_transfer_logs_its_transaction_token(api, user, make_user, json_logs):
    bob = make_user()
    response = api.post(TRANSFER_URL, {"receiver_id": bob.pk, "amount": "25.00", "payment_method": "INTERNAL"})
    assert response.status_code == 201, response.data
    [finished] = json_logs.where(event="request_finished", code=201)
    assert finished["transaction_token"] == response.data["token"]
    assert finished["user_id"] == user.pk


def test_plain_logging_calls_come_out_as_json_with_the_bound_context(json_logs):
    structlog.contextvars.bind_contextvars(request_id="req-1", user_id=7, transaction_token="TXN-ABC")
    logging.getLogger("comrade.somewhere").warning("a plain %s line", "stdlib")
    [line] = json_logs.where(logger="comrade.somewhere")
    assert line["event"] == "a plain stdlib line" and line["level"] == "warning"
    assert line["request_id"] == "req-1" and line["user_id"] == 7 and line["transaction_token"] == "TXN-ABC"


def test_the_json_renderer_writes_one_valid_object_per_line():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logger = logging.getLogger("comrade.test_json_renderer")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("first line\nwith a newline")
        try:
            raise ZeroDivisionError("division by zero")
        except ZeroDivisionError:
            logger.exception("it broke")
        structlog.get_logger("comrade.test_json_renderer").info("structured", count=3)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3
    for line in lines:
        assert {"timestamp", "level", "logger", "event"} <= set(line)
        assert line["logger"] == "comrade.test_json_renderer" and line["timestamp"].endswith("Z")
    assert lines[0]["event"] == "first line\nwith a newline" and lines[0]["level"] == "error"
    assert "ZeroDivisionError" in lines[1]["exception"]
    assert lines[2]["count"] == 3 and lines[2]["level"] == "info"


def test_the_text_renderer_is_readable():
    record = logging.LogRecord("comrade.x", logging.INFO, __file__, 1, "job %s handled %s", ("purge", 3), None)
    text = formatter("text").format(record)
    assert "job purge handled 3" in text and "[comrade.x]" in text and not text.startswith("{")


def test_log_format_is_checked():
    assert logging_config(fmt="json", level="DEBUG")["root"]["level"] == "DEBUG"
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        logging_config(fmt="xml", level="INFO")


def test_secrets_in_urls_and_bound_fields_are_masked():
    assert redact_text("POST /payments/webhooks/mpesa/s3cr3t-path/") == "POST /payments/webhooks/mpesa/[redacted]/"
    assert redact_text("GET /x/?token=abc&page=2") == "GET /x/?token=[redacted]&page=2"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logger = structlog.get_logger("comrade.test_redaction")
    std = logging.getLogger("comrade.test_redaction")
    std.addHandler(handler)
    try:
        logger.warning("request_finished", request="POST /payments/webhooks/mpesa/s3cr3t/", password="hunter2")
    finally:
        std.removeHandler(handler)
    assert "s3cr3t" not in stream.getvalue() and "hunter2" not in stream.getvalue()


@pytest.mark.django_db
def test_a_scheduler_job_run_logs_its_name_and_run_id_and_forgets_them_after(registry, json_logs):
    registry.register("counts_three", lambda now: logging.getLogger("comrade.jobtest").info("inside") or 3)
    registry.register("binds_a_token", lambda now: structlog.contextvars.bind_contextvars(transaction_token="TXN-1"))
    registry.register("after", lambda now: logging.getLogger("comrade.jobtest").info("after") or 0)
    scheduler.run_jobs()
    [inside] = json_logs.where(event="inside")
    [handled] = [line for line in json_logs.where(job="counts_three") if line["event"].startswith("job counts_three")]
    assert inside["job"] == "counts_three" and handled["job_run_id"] == inside["job_run_id"]
    [after] = json_logs.where(event="after")
    assert after["job"] == "after" and after["job_run_id"] != inside["job_run_id"]
    assert "transaction_token" not in after
    assert structlog.contextvars.get_contextvars() == {}


@pytest.mark.django_db
def test_a_failing_job_logs_its_failure_with_its_job_name(registry, json_logs):
    registry.register("breaks", lambda now: 1 / 0)
    scheduler.run_jobs()
    [failure] = json_logs.where(job="breaks", level="error")
    assert failure["event"] == "job breaks failed; the other jobs go on" and "ZeroDivisionError" in failure["exception"]


@pytest.mark.django_db
def test_a_celery_job_task_logs_its_job_name_and_keeps_the_outer_context(registry, json_logs):
    registry.register("via_celery", lambda now: logging.getLogger("comrade.jobtest").info("in task") or 1)
    structlog.contextvars.bind_contextvars(task_id="task-1")
    assert run_job.apply(args=("via_celery",)).get() == 1
    [line] = json_logs.where(event="in task")
    assert line["job"] == "via_celery" and line["task_id"] == "task-1" and line["job_run_id"]
    assert structlog.contextvars.get_contextvars() == {"task_id": "task-1"}
