from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from comrade.accounts.models import User
from comrade.accounts.services import EMAIL_TAKEN


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)

    def validate_email(self, value: str) -> str:
        value = value.lower()
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError(EMAIL_TAKEN, code="email_taken")
        return value

    def validate(self, attrs):
        try:
            password_validation.validate_password(attrs["password"], User(email=attrs["email"]))
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from exc
        return attrs


class UserSerializer(serializers.ModelSerializer):
    email_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "email_verified"]
        read_only_fields = fields


class VerifyEmailSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1000, trim_whitespace=True)


class EmailVerifiedSerializer(serializers.ModelSerializer):
    email_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = ["email", "email_verified", "email_verified_at"]
        read_only_fields = fields


class VerificationSentSerializer(serializers.Serializer):
    email = serializers.EmailField(read_only=True)
    detail = serializers.CharField(read_only=True)


class ErrorBodySerializer(serializers.Serializer):
    """The one JSON error shape (comrade/core/errors.py), for the schema of error responses."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(write_only=True, max_length=4096, style={"input_type": "password"})


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)


class OTPVerifySerializer(serializers.Serializer):
    otp_token = serializers.CharField(max_length=16)


class OTPVerifiedSerializer(serializers.Serializer):
    otp_verified = serializers.BooleanField(read_only=True)
    device = serializers.CharField(read_only=True)
