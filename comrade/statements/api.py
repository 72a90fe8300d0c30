"""HTTP entry points for statements. The viewsets of the wallet and of the groups own the routes
(`payment-profiles/statement/`, `payment-groups/{id}/statement/`) and hand the request here:
parse the query, call one selector, render.

`?format=` names the statement's format, not DRF's renderer, so these actions use their own
content negotiation: errors are always JSON, and an unknown format is a 400 naming `format`
rather than DRF's 404."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from comrade.accounts.serializers import ErrorBodySerializer
from comrade.groups.models import PaymentGroups
from comrade.ledger.selectors import profile_for
from comrade.statements.params import FORMATS, query_format, query_moment, query_period
from comrade.statements.renderers import statement_response
from comrade.statements.selectors import balance_at, group_statement, wallet_statement
from comrade.statements.serializers import BalanceAtSerializer, GroupStatementSerializer, WalletStatementSerializer


class StatementNegotiation(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


PERIOD_PARAMETERS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day, UTC (default: 29 days before date_to)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day, included, UTC (default: today)."),
    OpenApiParameter("format", OpenApiTypes.STR, enum=list(FORMATS), description="json (default), csv or pdf."),
]
AT_PARAMETER = OpenApiParameter(
    "at",
    OpenApiTypes.STR,
    description="A date (its end) or an ISO 8601 date and time: answer only the balance at that moment, as JSON.",
)
SCHEMA_DESCRIPTION = (
    "Opening balance, every movement with its running balance, closing balance, for whole UTC days. "
    "JSON and CSV stream; a PDF holds at most STATEMENT_PDF_MAX_ROWS movements. See docs/statements.md."
)
FILES = {(200, "text/csv"): OpenApiTypes.STR, (200, "application/pdf"): OpenApiTypes.BINARY}


def statement_schema(*, group: bool):
    body = GroupStatementSerializer if group else WalletStatementSerializer
    if not group:
        body = PolymorphicProxySerializer(
            "WalletStatementOrBalance", [WalletStatementSerializer, BalanceAtSerializer], resource_type_field_name=None
        )
    responses = {(200, "application/json"): body, **FILES, (400, "application/json"): ErrorBodySerializer}
    if group:
        responses[(404, "application/json")] = ErrorBodySerializer
    parameters = PERIOD_PARAMETERS if group else [*PERIOD_PARAMETERS, AT_PARAMETER]
    summary = "The group pot's statement (members only)" if group else "The caller's wallet statement"
    return extend_schema(summary=summary, description=SCHEMA_DESCRIPTION, parameters=parameters, responses=responses)


def wallet_statement_response(request) -> HttpResponse:
    params = request.query_params
    fmt = query_format(params)
    if "at" in params:
        moment = query_moment(params, "at")
        account = profile_for(request.user).account
        body = {"at": moment, "balance": balance_at(account.pk, moment), "currency": account.currency}
        return Response(BalanceAtSerializer(body).data)
    return statement_response(wallet_statement(request.user, query_period(params)), fmt)


def group_statement_response(request, group: PaymentGroups) -> HttpResponse:
    params = request.query_params
    fmt = query_format(params)
    return statement_response(group_statement(group, query_period(params), viewer=request.user), fmt)
