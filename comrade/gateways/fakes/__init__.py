"""Fake provider HTTP servers for tests: real HTTP on 127.0.0.1, in-memory state, test knobs.

    from comrade.gateways.fakes.stripe import FakeStripe
    fake = FakeStripe(api_key="sk_test_fake", webhook_secret="whsec_fake")
    gateway = StripeGateway(StripeConfig(api_key="sk_test_fake", webhook_secret="whsec_fake",
                                         base_url=fake.base_url, timeout=0.5))
    ...
    fake.stop()

FakeStripe, FakePayPal (fakes.paypal) and FakeDaraja (fakes.daraja) share the knobs of
fakes.server.FakeServer: fail_next(status, path=), hang_next(seconds, path=), seen(prefix), errors.
"""
