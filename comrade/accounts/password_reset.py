"""Password reset by email for the API.

The request always answers the same, so it does not tell who has an account. The link carries
Django's default_token_generator token, which is bound to the password hash and last login: it
stops working once used (the password changes) or after PASSWORD_RESET_TIMEOUT. A reset also
revokes the user's refresh tokens, since a reset usually means the old password leaked."""

import logging
import smtplib

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from comrade.accounts.models import User
from comrade.core.errors import ApplicationError, field_error

logger = logging.getLogger(__name__)

INVALID_LINK = "This password reset link is invalid or was already used; ask for a new one."


def password_reset_request(*, email: str, link_template: str | None = None) -> None:
    """`link_template` is the page the emailed link opens, with {uid} and {token} placeholders
    (the web app passes its own); by default PASSWORD_RESET_URL, and no link when that is empty."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    uid, token = urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
    template = settings.PASSWORD_RESET_URL if link_template is None else link_template
    link = template.format(uid=uid, token=token) if template else ""
    context = {
        "user": user,
        "uid": uid,
        "token": token,
        "link": link,
        "site_url": settings.SITE_URL,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    try:
        send_mail(
            subject="Reset your Comrade Pay password",
            message=render_to_string("accounts/email/password_reset.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("password reset email to user %s not sent: %s", user.pk, exc)


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """The row lock makes two uses of one link run one after the other: the second sees the new
    password hash, so its token no longer checks out."""
    user = _user_for_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise field_error("token", INVALID_LINK, code="invalid_token")
    try:
        password_validation.validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise ApplicationError(
            "validation_error", "Invalid input: new_password.", fields={"new_password": exc.messages}
        ) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _revoke_refresh_tokens(user)
    return user


def _user_for_uid(uid: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError):
        return None
    if not 0 < pk < 2**63:
        return None
    return User.objects.select_for_update().filter(pk=pk, is_active=True).first()


def _revoke_refresh_tokens(user: User) -> None:
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in outstanding])
