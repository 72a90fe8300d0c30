"""A Statement as an HTTP response in the format asked for. JSON and CSV stream row by row from
a server-side cursor; a PDF has its cross-reference table at the end, so it is built whole, and
for that reason refuses more than STATEMENT_PDF_MAX_ROWS movements."""

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse

from comrade.core.errors import field_error
from comrade.statements.renderers.pdf import statement_pdf
from comrade.statements.renderers.text import statement_csv, statement_json
from comrade.statements.selectors import Statement


def filename(statement: Statement, extension: str) -> str:
    period = statement.period
    return f"{statement.kind}-statement-{period.date_from.isoformat()}-{period.date_to.isoformat()}.{extension}"


def attachment(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def statement_response(statement: Statement, fmt: str) -> HttpResponse:
    if fmt == "csv":
        response = StreamingHttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
        return attachment(response, filename(statement, "csv"))
    if fmt == "pdf":
        if statement.count() > settings.STATEMENT_PDF_MAX_ROWS:
            raise field_error(
                "format",
                f"A PDF statement holds at most {settings.STATEMENT_PDF_MAX_ROWS} movements; "
                "ask for format=csv or a shorter period.",
                code="statement_too_large",
            )
        response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
        return attachment(response, filename(statement, "pdf"))
    return StreamingHttpResponse(statement_json(statement), content_type="application/json")
