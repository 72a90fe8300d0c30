"""Reads for statements, straight from the ledger: every movement is a LedgerEntry of the
account, and the running balance is the entry's own `balance_after` (written under the account's
row lock by ledger.post), so nothing is replayed or summed to know a balance at any moment.

Entries of one account are written one at a time under its lock, so their ids and timestamps
rise together. A statement is cut at the last entry of its period (`last_id`): the rows, the
running balance and the closing balance all come from the same snapshot even while new money
moves during a long download."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db.models import Case, CharField, F, Min, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, NullIf

from comrade.core.money import ZERO
from comrade.groups.models import GroupMembers, PaymentGroups
from comrade.ledger.models import LedgerAccount, LedgerEntry, PaymentProfile
from comrade.statements.params import Period
from comrade.statements.sections import Section, group_statement_extra_sections


class Movement(NamedTuple):
    created_at: dt.datetime
    token: str
    type: str
    description: str
    counterparty: str
    amount: Decimal
    balance: Decimal


@dataclass(frozen=True)
class MemberTotal:
    user_id: int
    email: str
    contributed: Decimal
    received: Decimal


@dataclass
class Statement:
    """What every renderer needs. `movements()` opens a fresh server-side cursor each call."""

    kind: str  # "wallet" or "group"
    title: str
    account: str
    currency: str
    period: Period
    opening_balance: Decimal
    closing_balance: Decimal
    account_id: int
    last_id: int | None
    with_party: bool = False
    member_totals: list[MemberTotal] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def movements(self) -> Iterator[Movement]:
        rows = movement_rows(self.account_id, self.period, self.last_id, with_party=self.with_party)
        for row in rows.iterator(chunk_size=settings.STATEMENT_CHUNK_SIZE):
            yield Movement(*row)

    def count(self) -> int:
        return entries_in(self.account_id, self.period, self.last_id).count()


def balance_at(account_id: int, moment: dt.datetime) -> Decimal:
    """The balance after every entry made at or before `moment` (0 before the first)."""
    last = (
        LedgerEntry.objects.filter(account_id=account_id, created_at__lte=moment)
        .order_by("-id")
        .values_list("balance_after", flat=True)
        .first()
    )
    return ZERO if last is None else last


def last_entry_before(account_id: int, moment: dt.datetime) -> tuple[int, Decimal] | None:
    return (
        LedgerEntry.objects.filter(account_id=account_id, created_at__lt=moment)
        .order_by("-id")
        .values_list("id", "balance_after")
        .first()
    )


def entries_in(account_id: int, period: Period, last_id: int | None) -> QuerySet[LedgerEntry]:
    if last_id is None:
        return LedgerEntry.objects.none()
    return LedgerEntry.objects.filter(account_id=account_id, created_at__gte=period.start, id__lte=last_id)


def counterparty(*, with_party: bool) -> tuple[Subquery, Coalesce]:
    """Who is on the other side: the other leg's wallet owner or group, else (for a pot) the
    member who paid in or was paid, else the external provider; empty for the platform's own
    accounts (funding). A wallet never names its own owner."""
    other = LedgerEntry.objects.filter(transaction=OuterRef("transaction")).exclude(account=OuterRef("account"))
    # An aggregate, not ORDER BY id LIMIT 1: that lets PostgreSQL walk the primary key per row.
    other_account = Subquery(other.values("transaction").annotate(first=Min("account_id")).values("first"))
    wallet_owner = PaymentProfile.objects.filter(account_id=OuterRef("other_account")).values("user__email")[:1]
    group = PaymentGroups.objects.filter(pot_id=OuterRef("other_account")).values("name")[:1]
    party = Case(
        When(amount__gt=0, then=F("transaction__sender__email")),
        default=F("transaction__receiver__email"),
        output_field=CharField(),
    )
    choices = [Subquery(wallet_owner), Subquery(group)]
    if with_party:
        choices.insert(1, party)
    return other_account, Coalesce(*choices, NullIf(F("transaction__external_payment_provider"), Value("")), Value(""))


def movement_rows(account_id: int, period: Period, last_id: int | None, *, with_party: bool) -> QuerySet:
    other_account, who = counterparty(with_party=with_party)
    return (
        entries_in(account_id, period, last_id)
        .annotate(other_account=other_account)
        .annotate(who=who)
        .order_by("id")
        .values_list(
            "created_at",
            "transaction__token",
            "transaction__transaction_type",
            "transaction__description",
            "who",
            "amount",
            "balance_after",
        )
    )


def account_statement(ledger_account: LedgerAccount, period: Period, **fields) -> Statement:
    before = last_entry_before(ledger_account.pk, period.start)
    closing = last_entry_before(ledger_account.pk, period.end)
    last_id = closing[0] if closing and (before is None or closing[0] > before[0]) else None
    return Statement(
        account_id=ledger_account.pk,
        currency=ledger_account.currency,
        period=period,
        opening_balance=before[1] if before else ZERO,
        closing_balance=closing[1] if closing else ZERO,
        last_id=last_id,
        **fields,
    )


def wallet_statement(user, period: Period) -> Statement:
    """The caller's own wallet: there is no parameter that could name anyone else's."""
    account = PaymentProfile.objects.select_related("account").get(user=user).account
    return account_statement(account, period, kind="wallet", title="Wallet statement", account=user.email)


def group_statement(group: PaymentGroups, period: Period, *, viewer=None) -> Statement:
    """A group's pot, for a caller already known to be a member (selectors.group_for). Dues are
    shown as the dues endpoint shows them: a member sees their own, an admin everyone's."""
    statement = account_statement(
        group.pot, period, kind="group", title="Group statement", account=group.name, with_party=True
    )
    statement.member_totals = member_totals(group, statement)
    statement.sections = group_statement_extra_sections(group, period=period, viewer=viewer)
    return statement


def member_totals(group: PaymentGroups, statement: Statement) -> list[MemberTotal]:
    """Per member, in the period: what they paid into the pot (contributions, whatever their
    route) and what the pot paid them (payouts, rotation payouts, refunds). Current members are
    listed even with nothing; former members appear when they moved money in the period."""
    entries = entries_in(statement.account_id, statement.period, statement.last_id)
    paid_in = entries.filter(amount__gt=0).values("transaction__sender").annotate(total=Sum("amount"))
    paid_out = entries.filter(amount__lt=0, transaction__receiver__isnull=False)
    paid_out = paid_out.values("transaction__receiver").annotate(total=Sum("amount"))
    contributed = {row["transaction__sender"]: row["total"] for row in paid_in}
    received = {row["transaction__receiver"]: -row["total"] for row in paid_out}
    members = GroupMembers.objects.filter(group=group).values_list("user_id", flat=True)
    ids = set(contributed) | set(received) | set(members)
    emails = dict(PaymentProfile.objects.filter(user_id__in=ids).values_list("user_id", "user__email"))
    totals = [MemberTotal(uid, emails.get(uid, ""), contributed.get(uid, ZERO), received.get(uid, ZERO)) for uid in ids]
    return sorted(totals, key=lambda t: (t.email, t.user_id))
