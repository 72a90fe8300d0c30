"""Writes for user accounts: creating a user with its wallet, and proving the user's email address.

An address is trusted only after its owner followed a signed link sent to it: registration alone
proves nothing, since anyone may register any address. The link carries a TimestampSigner token
over (user id, email), so it expires after EMAIL_VERIFICATION_MAX_AGE_HOURS and stops working when
the address changes."""

import logging
import smtplib
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from rest_framework import status

from comrade.accounts.models import User
from comrade.core.errors import ApplicationError
from comrade.ledger.services import wallet_open

logger = logging.getLogger(__name__)

EMAIL_TAKEN = "A user with this email already exists."
_VERIFICATION_SALT = "comrade.accounts.email-verification"


@transaction.atomic
def user_create(*, email: str, password: str | None, first_name: str = "", last_name: str = "", **extra) -> User:
    """Creates the user and its wallet in one transaction, then (after commit) emails a link to
    verify the address unless the caller created the user already verified (demo data)."""
    user = User(email=User.objects.normalize_email(email).lower(), first_name=first_name, last_name=last_name, **extra)
    user.set_password(password)
    _insert(user)
    wallet_open(user=user)
    if not user.email_verified:
        email_verification_send_on_commit(user)
    return user


def _insert(user: User) -> None:
    """The serializer refuses a taken email, but two registrations of one address can both pass
    that check; the unique constraint then stops the second, which gets the same 400 as the
    ordinary duplicate and, its transaction rolled back, leaves nothing behind."""
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:
        if User.objects.filter(email__iexact=user.email).exists():
            fields = {"email": [EMAIL_TAKEN]}
            raise ApplicationError("validation_error", "Invalid input: email.", fields=fields) from None
        raise


def ensure_email_verified(user: User, message: str) -> None:
    """Guard for anything that trusts the user's email address (403 `email_not_verified`)."""
    if not user.email_verified:
        raise ApplicationError("email_not_verified", message, status_code=status.HTTP_403_FORBIDDEN)


def email_verification_token(user: User) -> str:
    return signing.TimestampSigner(salt=_VERIFICATION_SALT).sign_object({"user": user.pk, "email": user.email})


def email_verification_url(user: User) -> str:
    """The web app's page, which verifies and offers to log in (the API's GET /api/auth/verify-email/
    still accepts links sent before)."""
    query = urlencode({"token": email_verification_token(user)})
    return f"{settings.SITE_URL}{reverse('auth:verify_email')}?{query}"


def email_verification_send_on_commit(user: User) -> None:
    """Sends only if the user's row is committed; a failing mail server never undoes a signup."""
    user_id = user.pk
    transaction.on_commit(lambda: email_verification_send(user_id=user_id), robust=True)


def email_verification_send(*, user_id: int) -> None:
    user = User.objects.get(pk=user_id)
    if user.email_verified:
        return
    context = {
        "user": user,
        "url": email_verification_url(user),
        "hours": settings.EMAIL_VERIFICATION_MAX_AGE_HOURS,
    }
    send_mail(
        subject="Confirm your email address for Comrade Pay",
        message=render_to_string("accounts/email/verify_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


def email_verification_resend(*, user: User) -> None:
    if user.email_verified:
        raise ApplicationError("already_verified", "Your email address is already verified.")
    try:
        email_verification_send(user_id=user.pk)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("verification email to user %s not sent: %s", user.pk, exc)
        raise ApplicationError(
            "email_not_sent",
            "The verification email could not be sent; try again later.",
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        ) from exc


def email_verify(*, token: str) -> User:
    """Marks the address in the token verified. Idempotent: a second use of a valid link answers
    the same. A link for an address the user no longer has is invalid."""
    claim = _verification_claim(token)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=claim.get("user")).first()
        if user is None or user.email != claim.get("email"):
            raise _invalid_token()
        return user_email_mark_verified(user=user)


def _verification_claim(token: str) -> dict:
    max_age = timedelta(hours=settings.EMAIL_VERIFICATION_MAX_AGE_HOURS)
    try:
        claim = signing.TimestampSigner(salt=_VERIFICATION_SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        message = "This verification link has expired; ask for a new one."
        raise ApplicationError("token_expired", message, fields={"token": [message]}) from None
    except (signing.BadSignature, ValueError):
        raise _invalid_token() from None
    if not isinstance(claim, dict):
        raise _invalid_token()
    return claim


def _invalid_token() -> ApplicationError:
    message = "This verification link is not valid."
    return ApplicationError("invalid_token", message, fields={"token": [message]})


def user_email_mark_verified(*, user: User) -> User:
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def user_email_changed(*, user: User) -> None:
    """Called before saving a user whose address changed (the admin): the new address is
    unproven, so the verification is forgotten and a link goes to the new address."""
    user.email_verified_at = None
    email_verification_send_on_commit(user)
