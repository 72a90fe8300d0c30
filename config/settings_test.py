"""Test settings: development mode, fast password hashing, in-memory email, no throttling surprises."""

import os

# Development mode is asked for explicitly (production is the default); set before the base
# settings are read, since the secret key and the sandbox depend on it.
os.environ["DJANGO_DEBUG"] = "true"

from config.settings import *  # noqa: E402, F403
from config.settings import REST_FRAMEWORK  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "100000/hour", "anon": "100000/hour"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SANDBOX_PAYMENTS_ENABLED = True
SANDBOX_WEBHOOK_DELIVERY = "inline"
