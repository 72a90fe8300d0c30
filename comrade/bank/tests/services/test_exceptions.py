"""Staff decisions on the exceptions queue: each is taken once, kept with who and when, and only
an assignment moves money (to the chosen user's wallet, through the deposit path)."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from comrade.bank.formats.statement import Direction
from comrade.bank.models import BankException
from comrade.bank.services.exceptions import exception_assign, exception_dismiss, exception_return
from comrade.bank.services.statements import statement_import
from comrade.bank.tests.incoming import configure, line, rows, statement
from comrade.core.errors import ApplicationError
from comrade.ledger.models import LedgerAccount

pytestmark = pytest.mark.django_db
Status = BankException.Status


@pytest.fixture(autouse=True)
def bank(settings):
    configure(settings)


@pytest.fixture
def queued():
    """An unmatched credit E1 (25.00) and an unmatched debit D1 (9.00), in the queue."""
    lines = [line("E1", "25.00", remittance="Geburtstagsgeschenk"), line("D1", "9.00", direction=Direction.DEBIT)]
    statement_import(statement=statement(*lines), source="t", imported_by=None)
    return {e.entry.entry_reference: e for e in BankException.objects.select_related("entry")}


def balance(user) -> Decimal:
    return LedgerAccount.objects.get(profile__user=user).balance


def test_assigning_credits_the_users_wallet_once_and_keeps_the_decision(queued, make_user, capsys):
    staff, erika = make_user(is_staff=True), make_user(balance="1.00")
    decided = exception_assign(exception_id=queued["E1"].pk, user_id=erika.pk, decided_by=staff)
    assert (decided.status, decided.assigned_user, decided.decided_by) == (Status.ASSIGNED, erika, staff)
    assert decided.decided_at is not None
    assert balance(erika) == Decimal("26.00")
    deposit = decided.deposit
    assert (deposit.transaction_type, deposit.status, deposit.external_payment_provider) == (
        "DEPOSIT",
        "COMPLETED",
        "bank",
    )
    assert deposit.metadata["decided_by"] == staff.pk and decided.entry.deposit == deposit
    with pytest.raises(ApplicationError) as caught:
        exception_assign(exception_id=queued["E1"].pk, user_id=erika.pk, decided_by=staff)
    assert caught.value.code == "already_decided" and caught.value.status_code == 409
    assert balance(erika) == Decimal("26.00")
    call_command("verify_ledger")
    assert "ledger OK" in capsys.readouterr().out


def test_marking_for_return_moves_no_money_and_keeps_the_reason(queued, make_user):
    staff = make_user(is_staff=True)
    before = rows()
    decided = exception_return(exception_id=queued["E1"].pk, reason="sender asked for it back", decided_by=staff)
    assert (decided.status, decided.note, decided.decided_by) == (Status.RETURNED, "sender asked for it back", staff)
    assert rows() == before
    with pytest.raises(ApplicationError):
        exception_assign(exception_id=queued["E1"].pk, user_id=staff.pk, decided_by=staff)
    assert rows() == before


def test_a_debit_can_be_dismissed_but_not_assigned_or_returned(queued, make_user):
    staff = make_user(is_staff=True)
    before = rows()
    for decide in (
        lambda: exception_assign(exception_id=queued["D1"].pk, user_id=staff.pk, decided_by=staff),
        lambda: exception_return(exception_id=queued["D1"].pk, reason="x", decided_by=staff),
    ):
        with pytest.raises(ApplicationError):
            decide()
    assert rows() == before
    decided = exception_dismiss(exception_id=queued["D1"].pk, note="bank fee", decided_by=staff)
    assert (decided.status, decided.note) == (Status.DISMISSED, "bank fee")
    with pytest.raises(ApplicationError) as caught:
        exception_dismiss(exception_id=queued["E1"].pk, note="x", decided_by=staff)
    assert caught.value.code == "not_dismissable"


def test_bad_decisions_are_refused_and_change_nothing(queued, make_user):
    staff, gone = make_user(is_staff=True), make_user(is_active=False)
    before = rows()
    cases = [
        (lambda: exception_assign(exception_id=queued["E1"].pk, user_id=gone.pk, decided_by=staff), "invalid_user"),
        (lambda: exception_assign(exception_id=queued["E1"].pk, user_id=10**9, decided_by=staff), "invalid_user"),
        (lambda: exception_assign(exception_id=10**9, user_id=staff.pk, decided_by=staff), "not_found"),
        (lambda: exception_return(exception_id=queued["E1"].pk, reason="  ", decided_by=staff), "required"),
    ]
    for decide, code in cases:
        with pytest.raises(ApplicationError) as caught:
            decide()
        assert caught.value.code == code
    assert rows() == before
    assert BankException.objects.filter(status=Status.OPEN).count() == 2
