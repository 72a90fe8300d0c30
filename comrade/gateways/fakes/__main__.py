"""Run one provider fake as its own process, for a reliability run against a live server:

    python -m comrade.gateways.fakes stripe --port 12111 --webhook-url http://127.0.0.1:8775/payments/webhooks/stripe/

It prints its base URL, sends its webhooks/callbacks as they happen (`auto_deliver`), and takes
chaos settings at POST /__chaos__ (see fakes.server). Stop it with Ctrl-C or SIGTERM.
"""

import argparse
import contextlib
import signal
import threading

from comrade.gateways.fakes.daraja import FakeDaraja
from comrade.gateways.fakes.paypal import FakePayPal
from comrade.gateways.fakes.stripe import FakeStripe

FAKES = {"stripe": FakeStripe, "paypal": FakePayPal, "daraja": FakeDaraja}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m comrade.gateways.fakes")
    parser.add_argument("provider", choices=sorted(FAKES))
    parser.add_argument("--port", type=int, default=0, help="127.0.0.1 port (0: any free one)")
    parser.add_argument("--webhook-url", default="", help="where Stripe/PayPal webhooks go")
    args = parser.parse_args()
    fake_class = type(FAKES[args.provider].__name__, (FAKES[args.provider],), {"port": args.port})
    fake = fake_class()
    fake.webhook_url = args.webhook_url
    fake.auto_deliver = True
    print(fake.base_url, flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    fake.stop()


if __name__ == "__main__":
    main()
