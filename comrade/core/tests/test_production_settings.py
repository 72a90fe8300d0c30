"""Production is the default and refuses to start unsafe: each case runs `manage.py` in a fresh
process with exactly the environment given (no DJANGO_SETTINGS_MODULE=config.settings_test)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from config.safety import DEV_SANDBOX_WEBHOOK_SECRET, DEV_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parents[3]
GOOD_KEY = "k3Y-" + "aB9_xZ2q" * 8
SANDBOX_SECRET = "a-sandbox-webhook-secret-of-our-own-0123456789"
SHOW_SETTINGS = """
import django, json
from django.conf import settings
django.setup()
names = ["DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
         "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER",
         "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY", "SANDBOX_PAYMENTS_ENABLED",
         "FAKE_BANK_ENABLED"]
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


@pytest.fixture
def production_env(tmp_path):
    """The least a production deployment sets: nothing else, DEBUG off by default."""
    return {
        "DJANGO_SECRET_KEY": GOOD_KEY,
        "DJANGO_ALLOWED_HOSTS": "pay.example.com",
        "SITE_URL": "https://pay.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=120)


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run(env, "manage.py", *args)


def settings_in(env: dict) -> dict:
    shown = run({**env, "DJANGO_SETTINGS_MODULE": "config.settings"}, "-c", SHOW_SETTINGS)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_the_deploy_check_passes_with_only_the_required_settings(production_env):
    done = manage(production_env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_debug_is_off_and_the_https_protections_on_by_default(production_env):
    shown = settings_in(production_env)
    assert shown == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_REFERRER_POLICY": "same-origin",
        "SANDBOX_PAYMENTS_ENABLED": False,
        "FAKE_BANK_ENABLED": False,
    }


def test_a_protection_is_turned_off_only_by_its_own_variable(production_env):
    shown = settings_in({**production_env, "DJANGO_SECURE_SSL_REDIRECT": "false"})
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SECURE_HSTS_SECONDS"] == 31536000 and shown["SESSION_COOKIE_SECURE"] is True


def test_development_mode_is_asked_for_and_turns_the_protections_off(tmp_path):
    shown = settings_in({"DJANGO_DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert shown["DEBUG"] is True and shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SANDBOX_PAYMENTS_ENABLED"] is True and shown["SECURE_PROXY_SSL_HEADER"] is None


@pytest.mark.parametrize(
    "key, message",
    [
        (None, "DJANGO_SECRET_KEY must be set"),
        ("", "DJANGO_SECRET_KEY must be set"),
        (DEV_SECRET_KEY, "published development key"),
        ("django-insecure-" + "x1Y2z3" * 10, "published development key"),
        ("short-but-random-7f3a", "too weak"),
        ("ab" * 40, "too weak"),
    ],
)
def test_the_server_refuses_to_start_without_a_real_secret_key(production_env, key, message):
    env = {k: v for k, v in production_env.items() if k != "DJANGO_SECRET_KEY"}
    if key is not None:
        env["DJANGO_SECRET_KEY"] = key
    done = manage(env, "check")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr


def test_a_misspelt_switch_is_refused_rather_than_read_as_off(production_env):
    done = manage({**production_env, "DJANGO_SECURE_SSL_REDIRECT": "flase"}, "check")
    assert done.returncode != 0 and "DJANGO_SECURE_SSL_REDIRECT='flase' is not a boolean" in done.stderr


@pytest.mark.parametrize(
    "extra, message",
    [
        ({}, "published SANDBOX_WEBHOOK_SECRET"),
        ({"SANDBOX_WEBHOOK_SECRET": DEV_SANDBOX_WEBHOOK_SECRET}, "published SANDBOX_WEBHOOK_SECRET"),
        ({"SANDBOX_WEBHOOK_SECRET": "too-short"}, "at least 32 characters"),
        (
            {"SANDBOX_WEBHOOK_SECRET": SANDBOX_SECRET, "STRIPE_API_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "w"},
            "beside a real provider (Stripe)",
        ),
    ],
)
def test_the_server_refuses_to_start_with_the_sandbox_on_by_accident(production_env, extra, message):
    done = manage({**production_env, "SANDBOX_PAYMENTS_ENABLED": "true", **extra}, "check")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr


def test_the_fake_bank_never_runs_in_production(production_env):
    assert settings_in(production_env)["FAKE_BANK_ENABLED"] is False
    done = manage({**production_env, "FAKE_BANK_ENABLED": "true"}, "check")
    assert done.returncode != 0 and "for development only" in done.stderr


def test_the_sandbox_runs_in_production_only_on_purpose_with_its_own_secret(production_env):
    env = {**production_env, "SANDBOX_PAYMENTS_ENABLED": "true", "SANDBOX_WEBHOOK_SECRET": SANDBOX_SECRET}
    assert settings_in(env)["SANDBOX_PAYMENTS_ENABLED"] is True
    assert settings_in(production_env)["SANDBOX_PAYMENTS_ENABLED"] is False


def test_a_bad_provider_setting_stops_manage_py_and_the_wsgi_application(production_env):
    env = {**production_env, "MPESA_CALLBACK_SECRET": "has/a/slash-" + "x" * 40}
    done = manage(env, "check")
    assert done.returncode != 0 and "comrade.E003" in done.stderr
    boot = run({**env, "DJANGO_SETTINGS_MODULE": "config.settings"}, "-c", "import config.wsgi")
    assert boot.returncode != 0
    assert "ImproperlyConfigured" in boot.stderr and "comrade.E003" in boot.stderr
    assert run(production_env, "-c", "import config.wsgi").returncode == 0


def test_seed_demo_refuses_to_run_in_production(production_env):
    assert manage(production_env, "migrate", "--noinput").returncode == 0
    done = manage(production_env, "seed_demo")
    assert done.returncode != 0 and "only in development mode" in done.stderr
    users = run(
        {**production_env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        "-c",
        "import django; django.setup(); from comrade.accounts.models import User; print(User.objects.count())",
    )
    assert users.stdout.strip() == "0", users.stderr
