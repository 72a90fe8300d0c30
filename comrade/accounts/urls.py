from django.urls import path
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from comrade.accounts.api import RegisterView, VerifyEmailResendView, VerifyEmailView
from comrade.accounts.auth_api import OTPVerifyView, PasswordResetConfirmView, PasswordResetView

urlpatterns = [
    path("register/", RegisterView.as_view(), name="register"),
    path("token/", TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    path("verify-email/", VerifyEmailView.as_view(), name="verify_email"),
    path("verify-email/resend/", VerifyEmailResendView.as_view(), name="verify_email_resend"),
    path("password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/confirm/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("otp/verify/", OTPVerifyView.as_view(), name="otp_verify"),
]
