"""The web's "send the link again" shares the API's limit (EMAIL_VERIFICATION_RESEND_RATE per user):
same throttle, same cache key, so switching between the two buys no extra emails."""

from types import SimpleNamespace

from comrade.accounts.api import VerificationResendThrottle
from comrade.accounts.models import User


class _ResendThrottle(VerificationResendThrottle):
    """Keyed by the user even before they log in (they may have just signed up)."""

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


def resend_allowed(user: User) -> bool:
    """Counts this attempt; False once the user has used up the rate."""
    return _ResendThrottle().allow_request(SimpleNamespace(user=user), None)
