"""The startup checks of the payment settings (comrade/core/checks.py), one by one."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from comrade.core import checks

SECRET = "Abc-123_" * 5
MPESA = {
    "MPESA_CONSUMER_KEY": "key",
    "MPESA_CONSUMER_SECRET": "secret",
    "MPESA_SHORTCODE": "174379",
    "MPESA_PASSKEY": "passkey",
    "MPESA_CALLBACK_SECRET": SECRET,
    "DEFAULT_CURRENCY": "KES",
}


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_the_default_development_settings_pass():
    assert [m for m in checks.checks.run_checks(tags=[checks.TAG]) if m.is_serious()] == []


@pytest.mark.parametrize(
    "secret", ["has/slash-" + "x" * 40, "has?query-" + "x" * 40, "has space " + "x" * 40, "%2F" + "x" * 40, "short"]
)
def test_the_mpesa_callback_secret_must_be_a_long_url_path_segment(secret):
    with override_settings(MPESA_CALLBACK_SECRET=secret):
        assert ids(checks.check_mpesa_callback_secret()) == ["comrade.E003"]


def test_a_good_mpesa_callback_secret_passes():
    with override_settings(MPESA_CALLBACK_SECRET=SECRET):
        assert checks.check_mpesa_callback_secret() == []


@pytest.mark.parametrize(
    "url",
    ["pay.example.com", "ftp://pay.example.com", "https://", "https://pay.example.com/app", "https://x.com?a=1", "/x"],
)
def test_site_url_must_be_an_absolute_http_origin(url):
    with override_settings(SITE_URL=url):
        assert ids(checks.check_site_url()) == ["comrade.E001"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "https://pay.example.com", "http://pay.example.com"])
def test_site_url_may_be_http_in_development(url):
    with override_settings(SITE_URL=url, DEBUG=True):
        assert checks.check_site_url() == []


def test_site_url_must_be_https_in_production_except_on_loopback():
    with override_settings(DEBUG=False, SITE_URL="http://pay.example.com"):
        assert ids(checks.check_site_url()) == ["comrade.E002"]
    with override_settings(DEBUG=False, SITE_URL="http://127.0.0.1:8000"):
        assert checks.check_site_url() == []
    with override_settings(DEBUG=False, SITE_URL="https://pay.example.com"):
        assert checks.check_site_url() == []


def test_a_partly_configured_provider_names_what_is_missing():
    with override_settings(PAYPAL_CLIENT_ID="id", PAYPAL_SECRET="", PAYPAL_WEBHOOK_ID=""):
        [error] = checks.check_providers_complete()
    assert (
        error.id == "comrade.E004"
        and error.msg == "PayPal is partly configured: PAYPAL_SECRET, PAYPAL_WEBHOOK_ID missing."
    )
    with override_settings(STRIPE_API_KEY="", STRIPE_WEBHOOK_SECRET="whsec"):
        [error] = checks.check_providers_complete()
    assert error.msg == "Stripe is partly configured: STRIPE_API_KEY missing."
    with override_settings(**{**MPESA, "MPESA_PASSKEY": ""}):
        [error] = checks.check_providers_complete()
    assert error.msg == "M-Pesa is partly configured: MPESA_PASSKEY missing."


def test_complete_or_absent_providers_pass():
    with override_settings(STRIPE_API_KEY="sk", STRIPE_WEBHOOK_SECRET="whsec", **MPESA):
        assert checks.check_providers_complete() == []
        assert checks.check_mpesa_currency_and_payouts() == []
    assert checks.check_providers_complete() == []


@pytest.mark.parametrize("base", ["api.stripe.com", "", "https://", "stripe"])
def test_provider_api_bases_must_be_absolute_urls(base):
    with override_settings(STRIPE_API_BASE=base):
        [error] = checks.check_provider_api_bases()
    assert error.id == "comrade.E005" and "STRIPE_API_BASE" in error.msg


def test_provider_api_bases_must_be_https_in_production():
    with override_settings(DEBUG=False, PAYPAL_API_BASE="http://api.paypal.com"):
        assert ids(checks.check_provider_api_bases()) == ["comrade.E005"]
    with override_settings(DEBUG=True, PAYPAL_API_BASE="http://127.0.0.1:9999/v1"):
        assert checks.check_provider_api_bases() == []


def test_mpesa_needs_kes_and_its_payout_pair():
    with override_settings(**{**MPESA, "DEFAULT_CURRENCY": "USD"}):
        assert ids(checks.check_mpesa_currency_and_payouts()) == ["comrade.E006"]
    with override_settings(**MPESA, MPESA_INITIATOR_NAME="api", MPESA_SECURITY_CREDENTIAL=""):
        assert ids(checks.check_mpesa_currency_and_payouts()) == ["comrade.E007"]
    with override_settings(**MPESA, MPESA_INITIATOR_NAME="api", MPESA_SECURITY_CREDENTIAL="cred"):
        assert checks.check_mpesa_currency_and_payouts() == []


def test_an_error_stops_manage_py_check_and_the_wsgi_startup():
    with override_settings(MPESA_CALLBACK_SECRET="a/b"):
        with pytest.raises(SystemCheckError, match="comrade.E003"):
            call_command("check")
        with pytest.raises(ImproperlyConfigured, match="comrade.E003"):
            checks.refuse_to_serve_on_errors()
    checks.refuse_to_serve_on_errors()
