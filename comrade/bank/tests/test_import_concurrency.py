"""Imports racing each other (PostgreSQL): the unique entry reference makes the later insert wait
for the earlier import and then skip, so each bank entry is credited once, whoever wins."""

from decimal import Decimal

import pytest
from django.test import override_settings

from comrade.bank.models import BankEntry
from comrade.bank.services.exceptions import exception_assign
from comrade.bank.services.statements import statement_import
from comrade.bank.tests.incoming import OUR_IBAN, line, reference_of, statement
from comrade.core.testing.concurrency import run_together
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, TransactionToken

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BANK = {"DEFAULT_CURRENCY": "EUR", "BANK_ACCOUNT_IBAN": OUR_IBAN}


@override_settings(**BANK)
def test_the_same_and_overlapping_statements_imported_at_once_credit_each_entry_once(make_user):
    erika, hans = make_user(), make_user()
    a, b = reference_of(erika), reference_of(hans)
    e1, e2, e3 = line("E1", "10.00", remittance=a), line("E2", "20.00", remittance=b), line("E3", "30.00", remittance=a)
    full = statement(e1, e2, e3)
    overlap = statement(e3, line("E4", "40.00", remittance=b), e1)

    def importing(which):
        return lambda: statement_import(statement=which, source="race", imported_by=None).credited

    credited = run_together([importing(full), importing(overlap), importing(full), importing(overlap)])
    assert all(isinstance(count, int) for count in credited), credited
    assert sum(credited) == 4
    assert BankEntry.objects.count() == 4
    assert LedgerAccount.objects.get(profile__user=erika).balance == Decimal("40.00")
    assert LedgerAccount.objects.get(profile__user=hans).balance == Decimal("60.00")
    assert TransactionToken.objects.filter(transaction_type="DEPOSIT").count() == 4
    assert run_all() == []


@override_settings(**BANK)
def test_two_staff_assigning_the_same_exception_at_once_credit_it_once(make_user):
    staff, erika, hans = make_user(is_staff=True), make_user(), make_user()
    statement_import(statement=statement(line("X1", "25.00", remittance="gift")), source="t", imported_by=None)
    exception_id = BankEntry.objects.get().exception.pk

    def assign(user):
        return lambda: exception_assign(exception_id=exception_id, user_id=user.pk, decided_by=staff).status

    outcomes = run_together([assign(erika), assign(hans), assign(erika)])
    assert sorted(map(str, outcomes)).count("ASSIGNED") == 1, outcomes
    total = sum(LedgerAccount.objects.get(profile__user=u).balance for u in (erika, hans))
    assert total == Decimal("25.00")
    assert run_all() == []
