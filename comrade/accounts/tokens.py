"""The JWT login (POST /api/auth/token/): django-axes lockout and the optional staff OTP."""

from django.contrib.auth.signals import user_logged_in
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer as BaseTokenObtainPairSerializer
from rest_framework_simplejwt.serializers import TokenObtainSerializer

from comrade.accounts.lockout import LOCKED_OUT, is_locked_out, lockout_message
from comrade.accounts.otp import OTP_CLAIM, otp_device_matching
from comrade.core.errors import ApplicationError


class TokenObtainPairSerializer(BaseTokenObtainPairSerializer):
    """As simplejwt's, plus `otp_token`: with a valid one the tokens carry the OTP claim that the
    staff money actions require. A locked-out client gets 429 `locked_out`, even with the right
    password, until AXES_COOLOFF_TIME has passed. A success sends `user_logged_in`, as a session
    login does, so axes resets the count (AXES_RESET_ON_SUCCESS) and last_login is kept."""

    otp_token = serializers.CharField(required=False, write_only=True, max_length=16, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        self._authenticate(attrs)
        refresh = self.get_token(self.user)
        if attrs.get("otp_token"):
            refresh[OTP_CLAIM] = otp_device_matching(user=self.user, token=attrs["otp_token"]).persistent_id
        user_logged_in.send(sender=type(self.user), request=self.context.get("request"), user=self.user)
        return {"refresh": str(refresh), "access": str(refresh.access_token)}

    def _authenticate(self, attrs: dict) -> None:
        try:
            TokenObtainSerializer.validate(self, attrs)
        except AuthenticationFailed:
            if is_locked_out(self.context.get("request")):
                raise ApplicationError(
                    LOCKED_OUT, lockout_message(), status_code=status.HTTP_429_TOO_MANY_REQUESTS
                ) from None
            raise
