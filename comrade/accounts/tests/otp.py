"""Test helpers for staff two-factor: a TOTP device, a current code, an OTP-carrying JWT and an
admin session that has passed OTP."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_simplejwt.tokens import AccessToken

from comrade.accounts.otp import OTP_CLAIM, otp_enrol


def device_of(user) -> TOTPDevice:
    return TOTPDevice.objects.filter(user=user).first() or otp_enrol(user=user)[0]


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def otp_access_token(user) -> AccessToken:
    token = AccessToken.for_user(user)
    token[OTP_CLAIM] = device_of(user).persistent_id
    return token


def verify_session(client, user) -> None:
    """Logs the Django test client in as `user` with a session that passed OTP (the admin)."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device_of(user).persistent_id
    session.save()
