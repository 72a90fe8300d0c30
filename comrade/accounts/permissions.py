"""Who may run the staff actions that create or return money."""

from rest_framework.permissions import BasePermission

from comrade.accounts.otp import request_otp_verified


class StaffOTPVerified(BasePermission):
    """Use after IsAdminUser: a staff password alone must not move money, so the caller must
    also have passed a one-time password (docs/operations-logins.md)."""

    message = (
        "This staff action needs two-factor: obtain a token with `otp_token` at /api/auth/token/ "
        "or verify the session at /api/auth/otp/verify/."
    )
    code = "otp_required"

    def has_permission(self, request, view) -> bool:
        return request_otp_verified(request)
