"""The web's auth forms share the API's limits, with the same throttles and cache keys, so switching
between the two buys no extra attempts: "send the link again" (EMAIL_VERIFICATION_RESEND_RATE per
user) and the password reset request and confirmation (PASSWORD_RESET_RATE per client address)."""

from types import SimpleNamespace

from comrade.accounts.api import VerificationResendThrottle
from comrade.accounts.auth_api import PasswordResetConfirmThrottle, PasswordResetThrottle
from comrade.accounts.models import User


class _ResendThrottle(VerificationResendThrottle):
    """Keyed by the user even before they log in (they may have just signed up)."""

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


def resend_allowed(user: User) -> bool:
    """Counts this attempt; False once the user has used up the rate."""
    return _ResendThrottle().allow_request(SimpleNamespace(user=user), None)


def password_reset_allowed(request) -> bool:
    return PasswordResetThrottle().allow_request(request, None)


def password_reset_confirm_allowed(request) -> bool:
    return PasswordResetConfirmThrottle().allow_request(request, None)
