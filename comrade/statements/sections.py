"""Extra parts of a group statement, beside the pot's movements and the member totals.

`group_statement_extra_sections` is the one extension point: dues and arrears (issue 13, part 1)
return their tables from here, and every format renders them without knowing what they are."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """A titled table. Cells are strings already formatted for people (amounts with two
    decimals, ISO dates); JSON gives each row as an object keyed by `columns`."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


def group_statement_extra_sections(group, *, period, viewer=None) -> list[Section]:
    """Dues and arrears as they stand now, when the group has a dues schedule and the caller is
    known; the dues endpoint's visibility applies (a member sees their own row, an admin all)."""
    from comrade.groups.dues_selectors import dues_for
    from comrade.groups.models import DuesSchedule

    if viewer is None or not DuesSchedule.objects.filter(group=group).exists():
        return []
    view = dues_for(group, viewer)
    rows = [[m.email, _money(m.paid), _money(m.balance_due), _money(m.arrears), _money(m.credit)] for m in view.members]
    columns = ["member", "paid", "balance_due", "arrears", "credit"]
    return [Section(key="dues", title="Dues and arrears", columns=columns, rows=rows)]


def _money(value) -> str:
    return f"{value:.2f}"
