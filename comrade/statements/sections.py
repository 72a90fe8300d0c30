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


def group_statement_extra_sections(group, *, period) -> list[Section]:
    """Nothing yet: the dues and arrears section is added here once dues exist."""
    return []
