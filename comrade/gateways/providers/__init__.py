"""Provider adapters for external payments: plain Python, no Django models.

    base.py     the interface (Gateway) and the dataclasses at its boundary
    sandbox.py  SandboxGateway + sign_event (no network)
    stripe.py   StripeGateway (the only module importing the stripe SDK)
    paypal.py   PayPalGateway + is_allowed_cert_url
    mpesa.py    MpesaGateway (Safaricom Daraja)
    money.py    Decimal <-> provider amounts; _http.py shared HTTP/webhook helpers

Each adapter takes its own frozen *Config dataclass; the registry builds them from settings.
Import provider modules lazily: importing this package loads nothing heavy.
"""
