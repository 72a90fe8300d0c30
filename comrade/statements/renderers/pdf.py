"""The PDF statement, drawn with ReportLab's canvas a row at a time (no table object holding
every row): a title block, the movements with a header repeated on each page, the closing
balance, then member totals and any extra sections; "Page N" at the foot of every page.

The standard Helvetica font covers Latin-1; other characters come out as blanks rather than
failing the statement."""

from collections.abc import Iterable
from io import BytesIO

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from comrade.statements.renderers.text import money
from comrade.statements.selectors import Movement, Statement

PAGE = landscape(A4)
MARGIN = 15 * mm
LINE = 12
FONT, BOLD, SIZE = "Helvetica", "Helvetica-Bold", 8
# (heading, width in points, right-aligned)
MOVEMENT_COLUMNS = [
    ("Date", 90, False),
    ("Transaction", 180, False),
    ("Type", 70, False),
    ("Description", 185, False),
    ("Counterparty", 140, False),
    ("Amount", 70, True),
    ("Balance", 70, True),
]


def fit(text: str, width: float, font: str = FONT) -> str:
    """Cut `text` to fit in `width`, marking the cut with an ellipsis."""
    if stringWidth(text, font, SIZE) <= width:
        return text
    while text and stringWidth(text + "...", font, SIZE) > width:
        text = text[:-1]
    return text + "..."


class Pages:
    """A canvas that knows where the next line goes and starts a numbered page when full."""

    def __init__(self, buffer: BytesIO, title: str):
        self.canvas = Canvas(buffer, pagesize=PAGE, pageCompression=1)
        self.canvas.setTitle(title)
        self.number = 1
        self.y = PAGE[1] - MARGIN
        self.header: list[tuple[str, float, bool]] | None = None

    def text(self, value: str, *, font: str = FONT, size: int = SIZE, x: float = MARGIN) -> None:
        self.room()
        self.canvas.setFont(font, size)
        self.canvas.drawString(x, self.y, value)
        self.y -= size + 4

    def row(self, cells: Iterable[str], columns: list[tuple[str, float, bool]], *, font: str = FONT) -> None:
        self.room()
        self.canvas.setFont(font, SIZE)
        x = MARGIN
        for value, (_, width, right) in zip(cells, columns, strict=True):
            shown = fit(value, width - 6, font)
            if right:
                self.canvas.drawRightString(x + width - 6, self.y, shown)
            else:
                self.canvas.drawString(x, self.y, shown)
            x += width
        self.y -= LINE

    def table_header(self, columns: list[tuple[str, float, bool]]) -> None:
        self.header = columns
        self.row([name for name, _, _ in columns], columns, font=BOLD)

    def room(self) -> None:
        if self.y > MARGIN + LINE:
            return
        self.foot()
        self.canvas.showPage()
        self.number += 1
        self.y = PAGE[1] - MARGIN
        if self.header:
            self.row([name for name, _, _ in self.header], self.header, font=BOLD)

    def foot(self) -> None:
        self.canvas.setFont(FONT, SIZE)
        self.canvas.drawRightString(PAGE[0] - MARGIN, MARGIN / 2, f"Page {self.number}")

    def gap(self) -> None:
        self.header = None
        self.y -= LINE

    def save(self) -> None:
        self.foot()
        self.canvas.save()


def movement_cells(m: Movement) -> list[str]:
    when = m.created_at.strftime("%Y-%m-%d %H:%M")
    return [when, m.token, m.type, m.description, m.counterparty, money(m.amount), money(m.balance)]


def statement_pdf(statement: Statement) -> bytes:
    buffer = BytesIO()
    pages = Pages(buffer, f"{statement.title}: {statement.account}")
    title_block(pages, statement)
    pages.table_header(MOVEMENT_COLUMNS)
    for movement in statement.movements():
        pages.row(movement_cells(movement), MOVEMENT_COLUMNS)
    pages.gap()
    pages.text(f"Closing balance: {money(statement.closing_balance)} {statement.currency}", font=BOLD)
    group_parts(pages, statement)
    pages.save()
    return buffer.getvalue()


def title_block(pages: Pages, statement: Statement) -> None:
    period = statement.period
    pages.text(statement.title, font=BOLD, size=16)
    pages.text(f"Account: {statement.account} ({statement.currency})", size=10)
    pages.text(f"Period: {period.date_from.isoformat()} to {period.date_to.isoformat()} (UTC)", size=10)
    pages.text(f"Opening balance: {money(statement.opening_balance)} {statement.currency}", font=BOLD, size=10)
    pages.gap()


def group_parts(pages: Pages, statement: Statement) -> None:
    if statement.kind != "group":
        return
    pages.gap()
    pages.text("Member totals in the period", font=BOLD, size=10)
    columns = [("Member", 300, False), ("Contributed", 90, True), ("Received", 90, True)]
    pages.table_header(columns)
    for total in statement.member_totals:
        pages.row([total.email, money(total.contributed), money(total.received)], columns)
    for section in statement.sections:
        pages.gap()
        pages.text(section.title, font=BOLD, size=10)
        width = (PAGE[0] - 2 * MARGIN) / max(len(section.columns), 1)
        columns = [(name, width, False) for name in section.columns]
        pages.table_header(columns)
        for cells in section.rows:
            pages.row(cells, columns)
