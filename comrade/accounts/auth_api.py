"""HTTP entry points for logging in safely: password reset by email and the staff OTP session.
The JWT login itself is simplejwt's view with comrade.accounts.tokens' serializer."""

from django.conf import settings
from django_otp import login as otp_login
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from comrade.accounts.otp import otp_device_matching
from comrade.accounts.password_reset import password_reset_confirm, password_reset_request
from comrade.accounts.serializers import (
    DetailSerializer,
    ErrorBodySerializer,
    OTPVerifiedSerializer,
    OTPVerifySerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
)

RESET_SENT = "If an account uses this address, a password reset email is on its way."
THROTTLED = OpenApiResponse(ErrorBodySerializer, description="Asked too often (PASSWORD_RESET_RATE).")


class PasswordResetThrottle(SimpleRateThrottle):
    """Per client address, signed in or not: slows both mail bombing and token guessing."""

    scope = "password_reset"

    def get_rate(self) -> str:
        return settings.PASSWORD_RESET_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordResetConfirmThrottle(PasswordResetThrottle):
    scope = "password_reset_confirm"


class PasswordResetView(generics.GenericAPIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [PasswordResetThrottle]
    serializer_class = PasswordResetRequestSerializer

    @extend_schema(
        summary="Email a password reset link (answers the same whether or not the address has an account)",
        responses={200: DetailSerializer, 429: THROTTLED},
        auth=[],
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset_request(email=serializer.validated_data["email"])
        return Response(DetailSerializer({"detail": RESET_SENT}).data)


class PasswordResetConfirmView(generics.GenericAPIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [PasswordResetConfirmThrottle]
    serializer_class = PasswordResetConfirmSerializer

    @extend_schema(
        summary="Set a new password with the uid and token from the reset email",
        responses={
            200: DetailSerializer,
            400: OpenApiResponse(
                ErrorBodySerializer,
                description=(
                    "`invalid_token` (wrong, expired or already used) or `validation_error` naming `new_password`."
                ),
            ),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset_confirm(**serializer.validated_data)
        return Response(DetailSerializer({"detail": "Your password was changed; log in with it."}).data)


class OTPVerifyView(generics.GenericAPIView):
    """For session (browsable API) callers: marks the session as having passed OTP. JWT callers
    send `otp_token` to /api/auth/token/ instead."""

    authentication_classes = [SessionAuthentication]
    serializer_class = OTPVerifySerializer

    @extend_schema(
        summary="Verify a one-time password for this session",
        responses={200: OTPVerifiedSerializer, 400: OpenApiResponse(ErrorBodySerializer, description="`invalid_otp`")},
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device = otp_device_matching(user=request.user, token=serializer.validated_data["otp_token"])
        otp_login(request._request, device)
        return Response(OTPVerifiedSerializer({"otp_verified": True, "device": device.name}).data)
