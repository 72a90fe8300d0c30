"""HTTP entry points for accounts: registration and email verification."""

from django.conf import settings
from django.shortcuts import render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from comrade.accounts.serializers import (
    EmailVerifiedSerializer,
    ErrorBodySerializer,
    RegisterSerializer,
    UserSerializer,
    VerificationSentSerializer,
    VerifyEmailSerializer,
)
from comrade.accounts.services import email_verification_resend, email_verify, user_create
from comrade.core.errors import ApplicationError

ERROR_CODES = "`invalid_token` (tampered or not ours, or the address changed since) or `token_expired`."


class RegisterView(generics.GenericAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = RegisterSerializer

    @extend_schema(responses={201: UserSerializer})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_create(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class VerifyEmailView(generics.GenericAPIView):
    """The token alone says who is verifying, so no login is needed (and no session, so no CSRF)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    serializer_class = VerifyEmailSerializer

    @extend_schema(
        summary="Verify an email address with the token from the emailed link",
        responses={200: EmailVerifiedSerializer, 400: OpenApiResponse(ErrorBodySerializer, description=ERROR_CODES)},
        auth=[],
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = email_verify(token=serializer.validated_data["token"])
        return Response(EmailVerifiedSerializer(user).data)

    @extend_schema(
        summary="The emailed link: verifies and shows a plain HTML page",
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True)],
        responses={
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="Verified (or already verified)."),
            (400, "text/html"): OpenApiResponse(OpenApiTypes.STR, description=f"Not verified: {ERROR_CODES}"),
        },
        auth=[],
    )
    def get(self, request):
        template = "accounts/email_verified.html"
        try:
            user = email_verify(token=request.query_params.get("token", ""))
        except ApplicationError as exc:
            context = {"verified": False, "code": exc.code, "message": exc.message}
            return render(request, template, context, status=exc.status_code)
        return render(request, template, {"verified": True, "email": user.email})


class VerificationResendThrottle(UserRateThrottle):
    scope = "email_verification_resend"

    def get_rate(self) -> str:
        return settings.EMAIL_VERIFICATION_RESEND_RATE


class VerifyEmailResendView(generics.GenericAPIView):
    throttle_classes = [VerificationResendThrottle, UserRateThrottle]
    serializer_class = VerificationSentSerializer

    @extend_schema(
        request=None,
        summary="Email a new verification link to the caller",
        responses={
            200: VerificationSentSerializer,
            400: OpenApiResponse(ErrorBodySerializer, description="`already_verified`"),
            429: OpenApiResponse(ErrorBodySerializer, description="Asked too often (EMAIL_VERIFICATION_RESEND_RATE)."),
        },
    )
    def post(self, request):
        email_verification_resend(user=request.user)
        body = {"email": request.user.email, "detail": "A new verification link was sent."}
        return Response(VerificationSentSerializer(body).data)
