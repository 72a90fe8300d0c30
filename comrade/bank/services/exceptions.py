"""The exceptions queue: bank entries that code could not place, and what staff decide about
them. Each exception is decided once, with its row locked: assigned to a user (the credit goes to
that user's wallet through the deposit path), marked for return to the sender (no credit; the
reason is kept), or, for a debit or a return, dismissed with a note."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from comrade.bank.models import BankEntry, BankException
from comrade.bank.services.deposits import bank_deposit_credit
from comrade.core.errors import ApplicationError, NotFound, field_error

Status = BankException.Status


def exception_open(*, entry: BankEntry, reason: str, detail: str = "") -> BankException:
    entry.outcome = BankEntry.Outcome.EXCEPTION
    entry.save(update_fields=["outcome"])
    return BankException.objects.create(entry=entry, reason=reason, detail=detail[:255])


def exception_assign(*, exception_id: int, user_id: int, decided_by) -> BankException:
    with transaction.atomic():
        exception = _locked_open(exception_id)
        entry = exception.entry
        if entry.direction != BankEntry.Direction.CREDIT or entry.is_return:
            raise ApplicationError("not_assignable", "Only an incoming transfer can be assigned to a user.")
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise field_error("user_id", "No active user with this id.", code="invalid_user")
        deposit = bank_deposit_credit(entry=entry, user=user, because="assigned_by_staff", decided_by=decided_by)
        return _decide(exception, Status.ASSIGNED, decided_by, assigned_user=user, deposit=deposit)


def exception_return(*, exception_id: int, reason: str, decided_by) -> BankException:
    """Marked for return: the money goes back to the sender outside this system (the bank's
    return); nothing is credited here."""
    reason = _required(reason, "reason")
    with transaction.atomic():
        exception = _locked_open(exception_id)
        if exception.entry.direction != BankEntry.Direction.CREDIT or exception.entry.is_return:
            raise ApplicationError("not_returnable", "Only an incoming transfer can be marked for return.")
        return _decide(exception, Status.RETURNED, decided_by, note=reason)


def exception_dismiss(*, exception_id: int, note: str, decided_by) -> BankException:
    """A debit or a return that needs nothing here (a bank fee, a payment made outside the
    platform): closed with why. An incoming transfer cannot be dismissed: assign or return it."""
    note = _required(note, "note")
    with transaction.atomic():
        exception = _locked_open(exception_id)
        if exception.entry.direction == BankEntry.Direction.CREDIT and not exception.entry.is_return:
            raise ApplicationError(
                "not_dismissable", "An incoming transfer must be assigned to a user or marked for return."
            )
        return _decide(exception, Status.DISMISSED, decided_by, note=note)


def _required(text: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise field_error(field, "This field is required.", code="required")
    return text[:255]


def _locked_open(exception_id: int) -> BankException:
    exception = BankException.objects.select_for_update().select_related("entry").filter(pk=exception_id).first()
    if exception is None:
        raise NotFound("No such bank exception.")
    if exception.status != Status.OPEN:
        raise ApplicationError(
            "already_decided", f"This exception was already decided ({exception.status}).", status_code=409
        )
    return exception


def _decide(exception: BankException, status: str, decided_by, **fields) -> BankException:
    for name, value in {**fields, "status": status, "decided_by": decided_by, "decided_at": timezone.now()}.items():
        setattr(exception, name, value)
    exception.save()
    return exception
