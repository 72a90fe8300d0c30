"""Staff two-factor (django-otp, TOTP). A staff user proves a one-time password either in the
session (admin login, or POST /api/auth/otp/verify/) or when obtaining a JWT with `otp_token`;
the token then carries the device in the OTP_CLAIM claim, which refresh tokens pass on.

A claim is honoured only while its device still exists, is confirmed and belongs to the user, so
deleting a lost phone's device revokes every token issued with it."""

from django.db import transaction
from django_otp import match_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from comrade.accounts.models import User
from comrade.core.errors import field_error

OTP_CLAIM = "otp_device"


def otp_device_matching(*, user: User, token: str) -> Device:
    """The user's confirmed device that accepts `token`; django-otp throttles each device after
    failures, so guessing is slowed per device. A wrong token is a 400 naming `otp_token`."""
    device = match_token(user, token) if token else None
    if device is None:
        raise field_error("otp_token", "The one-time password is wrong or was already used.", code="invalid_otp")
    return device


def otp_claim_valid(*, user: User, claim: str | None) -> bool:
    if not claim:
        return False
    device = Device.from_persistent_id(str(claim))
    return device is not None and device.user_id == user.pk and device.confirmed


def request_otp_verified(request) -> bool:
    """True if the caller passed OTP in this session or holds a JWT issued with a valid OTP."""
    user = request.user
    is_verified = getattr(user, "is_verified", None)
    if callable(is_verified) and is_verified():
        return True
    get_claim = getattr(request.auth, "get", None)
    return callable(get_claim) and otp_claim_valid(user=user, claim=get_claim(OTP_CLAIM))


@transaction.atomic
def otp_enrol(*, user: User, name: str = "authenticator", backup_codes: int = 0) -> tuple[TOTPDevice, list[str]]:
    """Gives the user a new confirmed TOTP device (and optionally single-use backup codes)."""
    device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
    codes: list[str] = []
    if backup_codes:
        static, _ = StaticDevice.objects.get_or_create(user=user, name="backup", defaults={"confirmed": True})
        static.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(backup_codes)]
        StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return device, codes
