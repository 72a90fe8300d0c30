"""Shared pieces of the provider layer: money conversion, header helpers, the Gateway base and the
fake-server knobs."""

import time
from decimal import Decimal

import pytest
import requests

from comrade.gateways.fakes.server import FakeServer, Reply
from comrade.gateways.providers._http import check_freshness, header, parse_signature_header
from comrade.gateways.providers.base import Gateway, GatewayError, WebhookRejected
from comrade.gateways.providers.money import from_minor, major_string, parse_decimal, to_minor


@pytest.mark.parametrize(
    "amount,currency,minor",
    [("10.50", "USD", 1050), ("10.5", "usd", 1050), ("1500", "JPY", 1500), ("1.234", "KWD", 1234), ("0.01", "EUR", 1)],
)
def test_to_minor(amount, currency, minor):
    assert to_minor(Decimal(amount), currency) == minor
    assert from_minor(minor, currency) == Decimal(amount)


@pytest.mark.parametrize(
    "amount,currency", [("10.005", "USD"), ("0", "USD"), ("-1", "USD"), ("1.5", "JPY"), ("1.2345", "KWD")]
)
def test_to_minor_refuses_what_does_not_fit(amount, currency):
    with pytest.raises(GatewayError) as caught:
        to_minor(Decimal(amount), currency)

    assert caught.value.retryable is False


def test_major_string_has_the_currency_decimals():
    assert major_string(Decimal("10.5"), "USD") == "10.50"
    assert major_string(Decimal("1000.00"), "JPY") == "1000"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("10.50", Decimal("10.50")),
        (100, Decimal(100)),
        (10.5, Decimal("10.5")),
        (None, None),
        (True, None),
        ("abc", None),
        ("NaN", None),
        ("Infinity", None),
    ],
)
def test_parse_decimal(value, expected):
    assert parse_decimal(value) == expected


def test_header_lookup_ignores_case_and_understands_django_meta():
    assert header({"Stripe-Signature": "a"}, "stripe-signature") == "a"
    assert header({"HTTP_PAYPAL_TRANSMISSION_ID": "b"}, "PAYPAL-TRANSMISSION-ID") == "b"
    assert header({}, "X") == ""


def test_parse_signature_header():
    assert parse_signature_header("t=12,v1=aa,v1=bb,v0=cc") == (12, ["aa", "bb"])
    for bad in ("", "t=12", "v1=aa", "t=x,v1=aa", "t=1,t=2,v1=aa"):
        with pytest.raises(WebhookRejected):
            parse_signature_header(bad)


def test_freshness_both_ways():
    check_freshness(1000, tolerance=300, now=1000 + 300)
    check_freshness(1000, tolerance=300, now=1000 - 300)
    with pytest.raises(WebhookRejected):
        check_freshness(1000, tolerance=300, now=1000 + 301)
    with pytest.raises(WebhookRejected):
        check_freshness(1000, tolerance=300, now=1000 - 301)


def test_gateway_base_demands_the_whole_interface():
    class Half(Gateway):
        def create_payment(self, req):
            raise NotImplementedError

    with pytest.raises(TypeError):
        Half()


# --- the fake server ---------------------------------------------------------------------------


class Echo(FakeServer):
    def routes(self):
        return [("GET", r"/things/(?P<thing>\w+)", lambda request, thing: Reply(200, {"thing": thing}))]


@pytest.fixture
def echo():
    server = Echo()
    yield server
    server.stop()


def test_fake_server_routes_and_records(echo):
    answer = requests.get(f"{echo.base_url}/things/apple?x=1", timeout=2)

    assert answer.json() == {"thing": "apple"}
    assert echo.seen("/things")[0].query == {"x": ["1"]}
    assert requests.get(f"{echo.base_url}/nothing", timeout=2).status_code == 404
    assert requests.post(f"{echo.base_url}/things/apple", timeout=2).status_code == 405
    assert echo.base_url.startswith("http://127.0.0.1:")


def test_fail_next_hits_only_the_matching_path_once(echo):
    echo.fail_next(502, path="/things/b")

    assert requests.get(f"{echo.base_url}/things/a", timeout=2).status_code == 200
    assert requests.get(f"{echo.base_url}/things/b", timeout=2).status_code == 502
    assert requests.get(f"{echo.base_url}/things/b", timeout=2).status_code == 200


def test_hang_next_stalls_one_request(echo):
    echo.hang_next(0.6)
    with pytest.raises(requests.Timeout):
        requests.get(f"{echo.base_url}/things/a", timeout=0.2)

    started = time.monotonic()
    assert requests.get(f"{echo.base_url}/things/a", timeout=2).status_code == 200
    assert time.monotonic() - started < 0.5


def test_bugs_inside_a_fake_surface_as_500_and_are_recorded():
    class Broken(FakeServer):
        def routes(self):
            return [("GET", "/boom", lambda request: 1 / 0)]

    with Broken() as broken:
        assert requests.get(f"{broken.base_url}/boom", timeout=2).status_code == 500
        assert "ZeroDivisionError" in broken.errors[0]


# --- chaos -----------------------------------------------------------------------------------------


class Counter(FakeServer):
    """Acts on every POST /count, so a test can see whether the action happened."""

    def __init__(self):
        self.count = 0
        self.received: list[bytes] = []
        super().__init__()

    def routes(self):
        return [("POST", r"/count", self._count), ("POST", r"/hook", self._hook)]

    def _count(self, request):
        self.count += 1
        return Reply(200, {"count": self.count})

    def _hook(self, request):
        self.received.append(request.body)
        return Reply(200, {})


@pytest.fixture
def counter():
    server = Counter()
    yield server
    assert server.errors == []
    server.stop()


def test_chaos_timeout_acts_then_answers_too_late(counter):
    counter.chaos(timeout_next=1, timeout_seconds=1.0)

    with pytest.raises(requests.Timeout):
        requests.post(f"{counter.base_url}/count", timeout=0.3)

    assert counter.count == 1
    assert requests.post(f"{counter.base_url}/count", timeout=2).json() == {"count": 2}
    assert counter.chaos_log == [("timeout", "/count")]


def test_chaos_error_after_acts_then_answers_500(counter):
    counter.chaos(error_after_next=2, path="/count")

    answers = [requests.post(f"{counter.base_url}/count", timeout=2).status_code for _ in range(3)]

    assert answers == [500, 500, 200] and counter.count == 3


def test_chaos_late_answers_slowly_but_within_the_timeout(counter):
    counter.chaos(late_next=1, late_seconds=0.3)
    started = time.monotonic()

    assert requests.post(f"{counter.base_url}/count", timeout=2).json() == {"count": 1}
    assert time.monotonic() - started >= 0.3


def test_chaos_path_limits_which_calls_suffer(counter):
    counter.chaos(error_after_next=1, path="/hook")

    assert requests.post(f"{counter.base_url}/count", timeout=2).status_code == 200
    assert requests.post(f"{counter.base_url}/hook", timeout=2).status_code == 500
    assert counter.received == [b""]


def test_chaos_probability_is_seeded_and_replayable(counter):
    def run() -> list[int]:
        counter.chaos_reset()
        counter.chaos(error_after_p=0.5, seed=7)
        return [requests.post(f"{counter.base_url}/count", timeout=2).status_code for _ in range(12)]

    first, second = run(), run()

    assert first == second and 500 in first and 200 in first


def test_chaos_is_settable_over_http_and_never_hits_its_own_endpoint(counter):
    control = f"{counter.base_url}/__chaos__"
    set_up = requests.post(control, json={"error_after_next": 1, "path": "/count"}, timeout=2)
    assert set_up.status_code == 200 and set_up.json()["chaos"]["error_after_next"] == 1
    assert requests.post(control, json={"bogus": 1}, timeout=2).status_code == 400

    assert requests.post(f"{counter.base_url}/count", timeout=2).status_code == 500
    state = requests.get(control, timeout=2).json()
    assert state["log"] == [["error_after", "/count"]] and state["chaos"]["error_after_next"] == 0

    requests.post(control, json={"reset": True, "timeout_next": 0}, timeout=2)
    assert counter.chaos()["path"] == ""
    with pytest.raises(ValueError):
        counter.chaos(nonsense=True)


def test_deliveries_are_posted_over_http_with_delay_and_drop(counter):
    from comrade.gateways.fakes.server import Delivery

    hook = f"{counter.base_url}/hook"
    counter.chaos(delay_next=1, drop_next=0)
    for n in range(3):
        counter.queue_delivery(Delivery(hook, f"event-{n}".encode(), {"Content-Type": "text/plain"}))

    counter.deliver_pending()

    assert counter.received == [b"event-1", b"event-2", b"event-0"]
    assert counter.pending == [] and counter.delivery_errors == []


def test_auto_delivery_sends_in_the_background_and_drops_what_chaos_drops(counter):
    from comrade.gateways.fakes.server import Delivery

    hook = f"{counter.base_url}/hook"
    counter.auto_deliver = True
    counter.chaos(drop_next=1)
    counter.queue_delivery(Delivery(hook, b"lost"))
    counter.queue_delivery(Delivery(hook, b"arrives"))

    deadline = time.monotonic() + 3
    while not counter.received and time.monotonic() < deadline:
        time.sleep(0.02)

    assert counter.received == [b"arrives"] and [d.body for d in counter.dropped] == [b"lost"]
