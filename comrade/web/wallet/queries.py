"""What the wallet pages show, composed from the ledger's selectors (`transactions_of`,
`profile_for`) and the ledger rows themselves. Reads only; every amount is a Decimal.

A row's signed amount is what the transaction did to the person's wallet: the sum of its ledger
entries on their wallet account. Before any entry exists (a pending top-up) the direction follows
from the type, and the amount is the transaction's."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from comrade.core.money import ZERO
from comrade.gateways.registry import display_name
from comrade.ledger.models import LedgerEntry, TransactionToken
from comrade.ledger.selectors import transactions_of
from comrade.standing_orders.models import StandingOrder
from comrade.standing_orders.selectors import standing_orders_of

Type = TransactionToken.Type
Status = TransactionToken.Status
OPEN = (Status.PENDING, Status.AUTHORIZED, Status.VERIFIED)
CHART_POINTS = 60
STATUS_WORDS = {
    Status.PENDING: "Pending",
    Status.AUTHORIZED: "Pending",
    Status.VERIFIED: "Pending",
    Status.COMPLETED: "Completed",
    Status.FAILED: "Failed",
    Status.CANCELLED: "Cancelled",
}
TYPE_WORDS = {
    Type.DEPOSIT: "Top-up",
    Type.WITHDRAWAL: "Withdrawal",
    Type.CONTRIBUTION: "Contribution",
    Type.PURCHASE: "Purchase",
    Type.REFUND: "Refund",
    Type.PAYOUT: "Payout",
    Type.SUBSCRIPTION: "Subscription",
    Type.FUNDING: "Funding",
}
MONEY_OUT_TYPES = (Type.WITHDRAWAL, Type.CONTRIBUTION, Type.PURCHASE, Type.SUBSCRIPTION)


def with_wallet_change(transactions: QuerySet, account_id: int) -> QuerySet:
    """Annotate `wallet_change`: the sum of each transaction's entries on this wallet (None when
    it has none yet)."""
    change = (
        LedgerEntry.objects.filter(transaction=OuterRef("pk"), account_id=account_id)
        .values("transaction")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return transactions.annotate(
        wallet_change=Subquery(change, output_field=DecimalField(max_digits=14, decimal_places=2))
    )


def wallet_transactions(user, account_id: int) -> QuerySet[TransactionToken]:
    return with_wallet_change(transactions_of(user).select_related("sender", "receiver"), account_id)


@dataclass(frozen=True)
class Row:
    """One transaction as the person sees it."""

    txn: TransactionToken
    word: str  # Sent, Received, Top-up, ...
    counterparty: str
    signed_amount: Decimal  # negative when money left the wallet
    direction: str  # "Money in" or "Money out"
    status_word: str
    status_class: str

    @property
    def pk(self) -> int:
        return self.txn.pk

    @property
    def note(self) -> str:
        """The description, unless it only repeats the type word or the counterparty."""
        text = self.txn.description

        def plain(value: str) -> str:
            return value.lower().replace("-", "").replace(" ", "")

        if not text or plain(self.word) in plain(text) or text == self.counterparty:
            return ""
        return text


def person_name(user) -> str:
    return (user.get_full_name() or user.email) if user is not None else ""


def counterparty(txn: TransactionToken, user) -> str:
    if txn.transaction_type == Type.TRANSFER:
        other = txn.receiver if txn.sender_id == user.pk else txn.sender
        return person_name(other)
    if txn.external_payment_provider:
        return display_name(txn.external_payment_provider)
    if txn.transaction_type == Type.FUNDING:
        return "Comrade Pay"
    return txn.description


def money_leaves(txn: TransactionToken, user) -> bool:
    if txn.transaction_type == Type.TRANSFER:
        return txn.sender_id == user.pk
    return txn.transaction_type in MONEY_OUT_TYPES


def row_of(txn: TransactionToken, user) -> Row:
    change = getattr(txn, "wallet_change", None)
    if change is None:
        change = -txn.amount if money_leaves(txn, user) else txn.amount
    if txn.transaction_type == Type.TRANSFER:
        word = "Sent" if txn.sender_id == user.pk else "Received"
    else:
        word = TYPE_WORDS.get(txn.transaction_type, txn.get_transaction_type_display())
    return Row(
        txn=txn,
        word=word,
        counterparty=counterparty(txn, user),
        signed_amount=change,
        direction="Money out" if change < 0 else "Money in",
        status_word=STATUS_WORDS[txn.status],
        status_class=STATUS_WORDS[txn.status].lower(),
    )


def grouped_by_day(rows: list[Row]) -> list[tuple[dt.date, list[Row]]]:
    days: list[tuple[dt.date, list[Row]]] = []
    for row in rows:
        day = timezone.localdate(row.txn.created_at)
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(row)
    return days


@dataclass(frozen=True)
class Waiting:
    """Money that is not available yet: top-ups not yet credited, withdrawals held."""

    incoming: Decimal
    held: Decimal


def waiting_money(user) -> Waiting:
    open_ones = transactions_of(user).filter(status__in=OPEN).order_by()

    def total(kind: str) -> Decimal:
        return open_ones.filter(transaction_type=kind, sender=user).aggregate(
            total=Coalesce(Sum("amount"), ZERO, output_field=DecimalField(max_digits=14, decimal_places=2))
        )["total"]

    return Waiting(incoming=total(Type.DEPOSIT), held=total(Type.WITHDRAWAL))


def next_standing_order(user) -> StandingOrder | None:
    return (
        standing_orders_of(user)
        .filter(is_active=True, next_execution__isnull=False)
        .select_related("recipient", "group")
        .order_by("next_execution", "id")
        .first()
    )


@dataclass(frozen=True)
class ChartPoint:
    at: dt.datetime
    balance: Decimal
    x: float
    y: float


@dataclass(frozen=True)
class Chart:
    """The wallet's balance after each of its last ledger entries, scaled into a `width` x
    `height` SVG box (y grows downwards, so the highest balance is at the top)."""

    points: list[ChartPoint]
    width: int
    height: int
    low: Decimal
    high: Decimal
    opening: Decimal  # the balance before the first point
    opening_y: float

    @property
    def path(self) -> str:
        """A step line from the opening balance: the balance holds until the next entry changes
        it, and the last one holds to the right edge (now)."""
        parts = [f"M0,{self.opening_y:.1f}"]
        for point in self.points:
            parts.append(f"H{point.x:.1f}V{point.y:.1f}")
        parts.append(f"H{self.width}")
        return "".join(parts)

    @property
    def first(self) -> ChartPoint:
        return self.points[0]

    @property
    def last(self) -> ChartPoint:
        return self.points[-1]


def balance_chart(account_id: int, *, limit: int = CHART_POINTS, width: int = 600, height: int = 160) -> Chart | None:
    """The last `limit` entries of the account, evenly spaced (one step per movement), starting
    from the balance before the first of them."""
    entries = list(
        LedgerEntry.objects.filter(account_id=account_id)
        .order_by("-id")
        .values_list("created_at", "balance_after", "amount")[:limit]
    )
    if not entries:
        return None
    entries.reverse()
    opening = entries[0][1] - entries[0][2]
    balances = [opening] + [balance for _, balance, _ in entries]
    low, high = min(min(balances), ZERO), max(balances)
    pad = 8
    span = (high - low) or Decimal(1)
    step = width / (len(entries) + 1)

    def y(balance: Decimal) -> float:
        return pad + float((high - balance) / span) * (height - 2 * pad)

    points = [
        ChartPoint(at=at, balance=balance, x=(index + 1) * step, y=y(balance))
        for index, (at, balance, _) in enumerate(entries)
    ]
    return Chart(points=points, width=width, height=height, low=low, high=high, opening=opening, opening_y=y(opening))
