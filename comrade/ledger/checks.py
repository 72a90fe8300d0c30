"""What `verify_ledger` checks. The ledger's own checks are here; other apps add theirs (for
example, group member totals) with `register` in their AppConfig.ready()."""

from collections.abc import Callable
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from comrade.ledger.models import LedgerAccount, LedgerEntry

Check = Callable[[], list[str]]
CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")
_extra_checks: list[Check] = []
ZERO = Value(0, output_field=DecimalField(max_digits=14, decimal_places=2))


def register(check: Check) -> None:
    if check not in _extra_checks:
        _extra_checks.append(check)


def account_caches() -> list[str]:
    last_balance = LedgerEntry.objects.filter(account=OuterRef("pk")).order_by("-id").values("balance_after")[:1]
    accounts = LedgerAccount.objects.annotate(
        sum_all=Coalesce(Sum("entries__amount"), ZERO),
        sum_in=Coalesce(Sum("entries__amount", filter=Q(entries__amount__gt=0)), ZERO),
        sum_out=Coalesce(Sum("entries__amount", filter=Q(entries__amount__lt=0)), ZERO),
    ).annotate(last_after=Subquery(last_balance))
    problems = []
    for a in accounts.iterator(chunk_size=2000):
        a.sum_all, a.sum_in, a.sum_out = (_cents(v) for v in (a.sum_all, a.sum_in, a.sum_out))
        if a.balance != a.sum_all:
            problems.append(f"account {a.code}: balance {a.balance} != sum of entries {a.sum_all}")
        if a.total_in != a.sum_in:
            problems.append(f"account {a.code}: total_in {a.total_in} != credits {a.sum_in}")
        if a.total_out != -a.sum_out:
            problems.append(f"account {a.code}: total_out {a.total_out} != debits {-a.sum_out}")
        if a.last_after is not None and a.last_after != a.balance:
            problems.append(f"account {a.code}: last balance_after {a.last_after} != balance {a.balance}")
        if a.balance < 0 and not a.allow_negative:
            problems.append(f"account {a.code}: negative balance {a.balance}")
    return problems


def _cents(value) -> Decimal:
    """SQLite sums decimals as floats; every real amount is a whole number of cents."""
    return Decimal(value).quantize(CENT)


def journals_balance() -> list[str]:
    unbalanced = (
        LedgerEntry.objects.values("transaction__token")
        .annotate(total=Sum("amount"))
        .filter(Q(total__gt=HALF_CENT) | Q(total__lt=-HALF_CENT))
    )
    return [f"transaction {row['transaction__token']}: entries sum to {row['total']}" for row in unbalanced]


def run_all() -> list[str]:
    problems = account_caches() + journals_balance()
    for check in _extra_checks:
        problems.extend(check())
    return problems
