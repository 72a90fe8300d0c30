"""Saved bank accounts (the destinations of bank withdrawals), validated with schwifty."""

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from text_unidecode import unidecode

from comrade.bank.models import BankAccount
from comrade.core.errors import ApplicationError, NotFound, field_error
from comrade.gateways.models import ExternalPayment

PROVIDER = "bank"
MAX_EXECUTION_DAYS_AHEAD = 30


def iban_normalise(value: str) -> IBAN:
    try:
        return IBAN(value or "")
    except SchwiftyException as exc:
        raise field_error("iban", f"Not a valid IBAN: {exc}.", code="invalid_iban") from exc


def bic_for(iban: IBAN, value: str) -> str:
    """The BIC in 8 or 11 characters. A BIC that schwifty's bank registry ties to other bank codes
    than the IBAN's is refused; a blank BIC is filled from the IBAN where the registry knows it."""
    if not (value or "").strip():
        known = iban.bic
        if known is None:
            raise field_error("bic", "A BIC is needed for this IBAN.", code="required")
        return str(known)
    try:
        bic = BIC(value.strip())
    except SchwiftyException as exc:
        raise field_error("bic", f"Not a valid BIC: {exc}.", code="invalid_bic") from exc
    codes = bic.domestic_bank_codes
    if codes and (bic.country_code != iban.country_code or (iban.bank_code and iban.bank_code not in codes)):
        raise field_error("bic", f"The BIC {bic.compact} is not the bank of this IBAN.", code="bic_mismatch")
    return bic.compact


def holder_name_clean(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise field_error("holder_name", "The account holder's name is needed.", code="required")
    if len(name) > 70:
        raise field_error("holder_name", "At most 70 characters (the SEPA limit).", code="max_length")
    if not unidecode(name).strip():  # the payment file carries the name in Latin characters
        raise field_error("holder_name", "The name must have letters that can be written in Latin script.")
    return name


def bank_account_create(*, user, holder_name: str, iban: str, bic: str = "") -> BankAccount:
    name = holder_name_clean(holder_name)
    parsed = iban_normalise(iban)
    bic_value = bic_for(parsed, bic)
    try:
        with transaction.atomic():
            return BankAccount.objects.create(user=user, holder_name=name, iban=parsed.compact, bic=bic_value)
    except IntegrityError as exc:
        raise field_error("iban", "This IBAN is already saved.", code="duplicate") from exc


def payouts_in_flight(account: BankAccount):
    return ExternalPayment.objects.filter(
        provider=PROVIDER,
        direction=ExternalPayment.Direction.OUT,
        resolved_at__isnull=True,
        transaction__sender_id=account.user_id,
        destination__startswith=f"{account.iban}|",
    )


def bank_account_delete(*, user, account_id: int) -> None:
    with transaction.atomic():
        account = BankAccount.objects.select_for_update().filter(user=user, pk=account_id).first()
        if account is None:
            raise NotFound("No such bank account.")
        if payouts_in_flight(account).exists():
            raise ApplicationError(
                "payout_in_flight", "A withdrawal to this account is still under way; delete it once it has ended."
            )
        account.delete()


def destination_encode(account: BankAccount) -> str:
    """What the payout keeps of the account (ExternalPayment.destination): a snapshot, so the file
    pays the account as it was when the user asked, whatever happens to the saved account."""
    return f"{account.iban}|{account.bic}|{account.holder_name}"


def destination_decode(destination: str) -> tuple[str, str, str]:
    iban, bic, name = destination.split("|", 2)
    return iban, bic, name


def withdrawal_destination(*, user, metadata: dict) -> tuple[str, dict]:
    """The saved account a bank withdrawal pays (metadata.bank_account_id, else the user's most
    recent), and the metadata the payout keeps: the account id and the requested execution date."""
    raw_id = metadata.get("bank_account_id")
    accounts = BankAccount.objects.filter(user=user)
    if raw_id in (None, ""):
        account = accounts.order_by("-created", "-id").first()
        if account is None:
            raise field_error(
                "metadata",
                "Save a bank account first (POST /payments/bank-accounts/), then withdraw to it.",
                code="bank_account_required",
            )
    else:
        try:
            account = accounts.filter(pk=int(raw_id)).first()
        except (TypeError, ValueError):
            account = None
        if account is None:
            raise field_error(
                "metadata", "metadata.bank_account_id: no such saved bank account.", code="bank_account_not_found"
            )
    today = timezone.localdate()
    execution = today
    if metadata.get("execution_date"):
        try:
            execution = date.fromisoformat(str(metadata["execution_date"]))
        except ValueError as exc:
            raise field_error(
                "metadata", "metadata.execution_date must be YYYY-MM-DD.", code="invalid_execution_date"
            ) from exc
        if not today <= execution <= today + timedelta(days=MAX_EXECUTION_DAYS_AHEAD):
            raise field_error(
                "metadata",
                f"metadata.execution_date must be between today and {MAX_EXECUTION_DAYS_AHEAD} days ahead.",
                code="invalid_execution_date",
            )
    return destination_encode(account), {"bank_account_id": account.pk, "execution_date": execution.isoformat()}
