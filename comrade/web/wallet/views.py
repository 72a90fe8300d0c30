"""The wallet's pages: home, send, top up, withdraw, history and a transaction's receipt.

Money moves only on a confirming POST from a review page, through `submit_once` (so a double
click or a resubmitted form moves it once) and the same services the API calls:
`transfer_create` for a send, `external_transaction_create` for a top-up or a withdrawal."""

import csv
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request

from comrade.bank.models import BankAccount
from comrade.bank.selectors import bank_details
from comrade.bank.services.accounts import withdrawal_destination
from comrade.bank.services.references import formatted
from comrade.core.errors import ApplicationError
from comrade.core.pagination import NewestFirstCursorPagination
from comrade.gateways.models import ExternalPayment
from comrade.gateways.registry import enabled_providers
from comrade.gateways.services import external_transaction_create, payment_refresh
from comrade.ledger.models import TransactionToken
from comrade.ledger.payment_methods import saved_destination
from comrade.ledger.selectors import profile_for
from comrade.statements.params import query_period
from comrade.statements.renderers import statement_response
from comrade.statements.renderers.text import defused
from comrade.statements.selectors import wallet_statement
from comrade.transfers.filters import TransactionFilter
from comrade.transfers.services import transfer_create
from comrade.web.bank.display import iban_grouped, iban_masked, shown_destination
from comrade.web.once import add_error, new_key, submit_once
from comrade.web.templatetags.money import money
from comrade.web.wallet import queries
from comrade.web.wallet.forms import ConfirmExternalForm, ConfirmSendForm, ExternalForm, SendForm

Type = TransactionToken.Type
Status = TransactionToken.Status
# The services name their fields as the API does; the forms name them for people.
FIELD_NAMES = {
    "receiver_id": "recipient",
    "external_payment_provider": "provider",
    "metadata": "destination",
    "phone_number": "phone_number",
}


def _refusal(error: ApplicationError) -> ApplicationError:
    fields = {FIELD_NAMES.get(name, name): messages for name, messages in error.fields.items()}
    return ApplicationError(error.code, error.message, fields=fields, status_code=error.status_code)


def _go(request, url: str) -> HttpResponse:
    """Post, redirect, get. A page of another site (a provider's checkout) is opened by a full
    navigation: htmx follows redirects inside its request, and only asks our own origin."""
    if request.headers.get("HX-Request") and urlsplit(url).netloc:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _local(url: str | None) -> str:
    """A link to one of our own pages without scheme and host (DRF's paginator builds absolute ones)."""
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


# --- Home ----------------------------------------------------------------------------------------


@login_required
@require_GET
def home(request):
    profile = profile_for(request.user)
    recent = queries.wallet_transactions(request.user, profile.account_id)[:5]
    return render(
        request,
        "web/wallet/home.html",
        {
            "profile": profile,
            "waiting": queries.waiting_money(request.user),
            "coming_up": queries.next_standing_order(request.user),
            "recent": [queries.row_of(txn, request.user) for txn in recent],
            "chart": queries.balance_chart(profile.account_id),
        },
    )


# --- Send ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def send(request):
    if request.method == "GET":
        initial = {name: request.GET.get(name, "") for name in ("recipient", "amount", "description")}
        return _send_form(request, SendForm(initial=initial, sender=request.user))
    if "form_key" in request.POST:
        return _send_confirm(request)
    form = SendForm(request.POST, sender=request.user)
    if not form.is_valid():
        return _send_form(request, form)
    balance = profile_for(request.user).comrade_balance
    amount = form.cleaned_data["amount"]
    if amount > balance:
        form.add_error("amount", f"You have {money(balance)} available; this is more than that.")
        return _send_form(request, form)
    confirm = ConfirmSendForm(initial={**form.cleaned_data, "form_key": new_key()}, sender=request.user)
    return render(
        request,
        "web/wallet/send_review.html",
        {
            "form": confirm,
            "receiver": form.cleaned_data["receiver"],
            "amount": amount,
            "description": form.cleaned_data["description"],
            "balance": balance,
            "balance_after": balance - amount,
            "edit_url": _edit_url(form.cleaned_data),
        },
    )


def _edit_url(values: dict) -> str:
    query = urlencode({name: values[name] for name in ("recipient", "amount", "description") if values.get(name)})
    return f"{reverse('wallet:send')}?{query}"


def _send_form(request, form, status: int = 200):
    return render(request, "web/wallet/send.html", {"form": form}, status=status)


def _send_confirm(request):
    confirm = ConfirmSendForm(request.POST, sender=request.user)
    if not confirm.is_valid():
        form = SendForm(request.POST, sender=request.user)
        if form.is_valid() or "form_key" in confirm.errors:
            form.add_error(None, "This form has expired; check the details and send again.")
        return _send_form(request, form)
    values = confirm.cleaned_data
    receiver = values["receiver"]

    def work() -> str:
        txn = transfer_create(
            sender=request.user, receiver_id=receiver.pk, amount=values["amount"], description=values["description"]
        )
        return reverse("wallet:transaction", args=[txn.pk])

    data = {"receiver": receiver.pk, "amount": values["amount"], "description": values["description"]}
    try:
        url = submit_once(request, key=values["form_key"], data=data, work=work)
    except ApplicationError as error:
        form = SendForm(request.POST, sender=request.user)
        form.is_valid()
        add_error(form, _refusal(error))
        return _send_form(request, form)
    return _go(request, url)


# --- Top up and withdraw -------------------------------------------------------------------------

WHAT_HAPPENS = {
    ("sandbox", Type.DEPOSIT): "You approve the payment on the sandbox's test checkout page; no real money moves.",
    ("sandbox", Type.WITHDRAWAL): "The sandbox pays out at once; no real money moves.",
    ("mpesa", Type.DEPOSIT): "You get a prompt on your phone; enter your M-Pesa PIN to approve.",
    ("mpesa", Type.WITHDRAWAL): "M-Pesa sends the money to the phone number you give.",
    ("stripe", Type.DEPOSIT): "You pay by card on Stripe's checkout page.",
    ("stripe", Type.WITHDRAWAL): "Stripe pays out to the account you give.",
    ("paypal", Type.DEPOSIT): "You approve the payment on PayPal's page.",
    ("paypal", Type.WITHDRAWAL): "PayPal pays out to the account you give.",
    ("bank", Type.WITHDRAWAL): "We pay it by bank transfer to one of your saved bank accounts.",
}
ARRIVAL = {"bank": "Paid by bank transfer, usually in 1–2 working days."}


def _methods(kind: str) -> list[dict]:
    support = "deposit" if kind == Type.DEPOSIT else "withdrawal"
    return [
        {
            **provider,
            "fee": "No fee",
            "what_happens": WHAT_HAPPENS.get((provider["name"], kind), ""),
            "arrival": ARRIVAL.get(provider["name"], "When the provider confirms the payment, usually within minutes."),
        }
        for provider in enabled_providers()
        if support in provider["supports"]
    ]


@login_required
@require_http_methods(["GET", "POST"])
def top_up(request):
    return _external(request, Type.DEPOSIT)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request):
    return _external(request, Type.WITHDRAWAL)


def _options(request, kind: str, methods: list[dict]) -> dict:
    withdrawal = kind == Type.WITHDRAWAL
    accounts = BankAccount.objects.filter(user=request.user) if withdrawal else ()  # the API's queryset
    return {"providers": methods, "withdrawal": withdrawal, "bank_accounts": accounts}


def _bank_metadata(values: dict) -> dict:
    """What the API takes for a bank withdrawal (comrade.bank.services.accounts.withdrawal_destination)."""
    metadata = {"bank_account_id": values["bank_account"]}
    if values.get("execution_date"):
        metadata["execution_date"] = values["execution_date"].isoformat()
    return metadata


def _bank_refusal(error: ApplicationError) -> ApplicationError:
    """The bank service names its problems `metadata`; on the form they are the account or the date."""
    messages_ = error.fields.get("metadata")
    if not messages_:
        return _refusal(error)
    name = "execution_date" if error.code == "invalid_execution_date" else "bank_account"
    text = " ".join(str(m) for m in (messages_ if isinstance(messages_, list) else [messages_]))
    text = text.replace("metadata.execution_date", "The date").replace("metadata.bank_account_id: ", "")
    return ApplicationError(error.code, error.message, fields={name: [text]}, status_code=error.status_code)


def _external(request, kind: str):
    methods = _methods(kind)
    withdrawal = kind == Type.WITHDRAWAL
    options = _options(request, kind, methods)
    if request.method == "GET":
        form = ExternalForm(initial=_external_initial(request, methods, withdrawal), **options)
        return _external_form(request, kind, form, methods)
    if "form_key" in request.POST:
        return _external_confirm(request, kind, methods)
    form = ExternalForm(request.POST, **options)
    if not form.is_valid():
        return _external_form(request, kind, form, methods)
    balance = profile_for(request.user).comrade_balance
    amount = form.cleaned_data["amount"]
    if withdrawal and amount > balance:
        form.add_error("amount", f"You have {money(balance)} available; this is more than that.")
        return _external_form(request, kind, form, methods)
    method = next(m for m in methods if m["name"] == form.cleaned_data["provider"])
    account = None
    if withdrawal and method["name"] == "bank":
        try:  # the service's own check of the account and the date; it writes nothing
            withdrawal_destination(user=request.user, metadata=_bank_metadata(form.cleaned_data))
        except ApplicationError as error:
            add_error(form, _bank_refusal(error))
            return _external_form(request, kind, form, methods)
        account = BankAccount.objects.get(user=request.user, pk=form.cleaned_data["bank_account"])
    confirm = ConfirmExternalForm(initial={**form.cleaned_data, "form_key": new_key()}, **options)
    return render(
        request,
        "web/wallet/external_review.html",
        {
            "kind": kind,
            "withdrawal": withdrawal,
            "form": confirm,
            "method": method,
            "values": form.cleaned_data,
            "amount": amount,
            "balance": balance,
            "balance_after": balance - amount if withdrawal else balance + amount,
            "edit_url": _external_edit_url(kind, form.cleaned_data),
            "bank_account": account,
            "bank_iban_masked": iban_masked(account.iban) if account else "",
        },
    )


def _external_initial(request, methods: list[dict], withdrawal: bool) -> dict:
    names = ("provider", "amount", "phone_number", "destination", "bank_account", "execution_date")
    initial = {name: request.GET.get(name, "") for name in names}
    if not initial["provider"] and len(methods) == 1:
        initial["provider"] = methods[0]["name"]
    if withdrawal and not initial["destination"] and initial["provider"] not in ("", "bank"):
        initial["destination"] = saved_destination(profile_for(request.user), initial["provider"])
    return initial


def _external_edit_url(kind: str, values: dict) -> str:
    names = ("provider", "amount", "phone_number", "destination", "bank_account", "execution_date")
    query = urlencode({name: values[name] for name in names if values.get(name)})
    return f"{reverse(_page(kind))}?{query}"


def _page(kind: str) -> str:
    return "wallet:withdraw" if kind == Type.WITHDRAWAL else "wallet:top_up"


def _external_form(request, kind: str, form, methods: list[dict]):
    withdrawal = kind == Type.WITHDRAWAL
    return render(
        request,
        "web/wallet/external.html",
        {
            "kind": kind,
            "withdrawal": withdrawal,
            "form": form,
            "methods": methods,
            "bank": None if withdrawal else _bank_details(request),
        },
    )


def _bank_details(request) -> dict | None:
    """The API's bank_details (the platform's account and this wallet's RF reference), grouped
    for reading aloud and copying; None when this deployment takes no bank transfers."""
    try:
        details = bank_details(profile=profile_for(request.user))
    except ApplicationError:
        return None
    return {
        "account_name": details.account_name,
        "iban": iban_grouped(details.iban),
        "bic": details.bic,
        "reference": formatted(details.reference),
        "currency": details.currency,
    }


def _external_confirm(request, kind: str, methods: list[dict]):
    withdrawal = kind == Type.WITHDRAWAL
    options = _options(request, kind, methods)
    confirm = ConfirmExternalForm(request.POST, **options)
    if not confirm.is_valid():
        form = ExternalForm(request.POST, **options)
        if form.is_valid() or "form_key" in confirm.errors:
            form.add_error(None, "This form has expired; check the details and try again.")
        return _external_form(request, kind, form, methods)
    values = confirm.cleaned_data
    bank = withdrawal and values["provider"] == "bank"
    metadata = {"destination": values["destination"]} if withdrawal and not bank else {}
    if bank:
        metadata = _bank_metadata(values)
    if values.get("phone_number") and values["provider"] == "mpesa" and not withdrawal:
        metadata["phone_number"] = values["phone_number"]

    def work() -> str:
        txn = external_transaction_create(
            user=request.user,
            transaction_type=kind,
            amount=values["amount"],
            provider=values["provider"],
            metadata=metadata,
        )
        return _after_start(request, txn)

    data = {"kind": kind, "amount": values["amount"], "provider": values["provider"], **metadata}
    try:
        url = submit_once(request, key=values["form_key"], data=data, work=work)
    except ApplicationError as error:
        form = ExternalForm(request.POST, **options)
        form.is_valid()
        add_error(form, _bank_refusal(error) if bank else _refusal(error))
        return _external_form(request, kind, form, methods)
    return _go(request, url)


def _after_start(request, txn: TransactionToken) -> str:
    """Where the person goes next: the provider's checkout (which sends them back to the
    receipt) while a payment waits for their approval there, else the receipt."""
    receipt = reverse("wallet:transaction", args=[txn.pk])
    payment = ExternalPayment.objects.filter(transaction=txn).first()
    if txn.status == Status.PENDING and payment is not None and payment.redirect_url:
        back = f"{receipt}?check=1"
        glue = "&" if "?" in payment.redirect_url else "?"
        return f"{payment.redirect_url}{glue}{urlencode({'return': back})}"
    return receipt


# --- History -------------------------------------------------------------------------------------


def _filtered(request):
    """The API's TransactionFilter over the user's transactions; None when a filter is invalid."""
    account_id = profile_for(request.user).account_id
    filterset = TransactionFilter(request.GET, queryset=queries.wallet_transactions(request.user, account_id))
    try:
        valid = filterset.is_valid()
        transactions = filterset.qs if valid else None
    except ValidationError as exc:
        for name, problems in exc.detail.items():
            filterset.form.add_error(None, f"{name}: {' '.join(str(p) for p in problems)}")
        transactions = None
    return filterset, transactions


@login_required
@require_GET
def history(request):
    filterset, transactions = _filtered(request)
    rows, next_url, previous_url = [], "", ""
    if transactions is not None:
        paginator = NewestFirstCursorPagination()
        try:
            page = paginator.paginate_queryset(transactions, Request(request))
        except APIException as exc:
            raise Http404("No such page.") from exc
        rows = [queries.row_of(txn, request.user) for txn in page]
        next_url, previous_url = _local(paginator.get_next_link()), _local(paginator.get_previous_link())
    query = request.GET.copy()
    query.pop("cursor", None)
    period = {name: request.GET.get(name, "") for name in ("date_from", "date_to") if request.GET.get(name)}
    return render(
        request,
        "web/wallet/history.html",
        {
            "filter_form": filterset.form,
            "days": queries.grouped_by_day(rows),
            "next_url": next_url,
            "previous_url": previous_url,
            "query": query.urlencode(),
            "period_query": urlencode(period),
            "status_choices": [
                (s, queries.STATUS_WORDS[s])
                for s in (Status.PENDING, Status.COMPLETED, Status.FAILED, Status.CANCELLED)
            ],
            "type_choices": [(t.value, t.label.title()) for t in Type],
            "values": request.GET,
        },
    )


class _Echo:
    def write(self, value):
        return value


CSV_HEADER = ["date", "time", "reference", "type", "counterparty", "description", "amount", "currency", "status"]


@login_required
@require_GET
def history_csv(request):
    filterset, transactions = _filtered(request)
    if transactions is None:
        messages.error(request, "Fix the filters before downloading.")
        return redirect(f"{reverse('wallet:history')}?{request.GET.urlencode()}")
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_HEADER)
        for txn in transactions.prefetch_related(None).iterator(chunk_size=500):
            row = queries.row_of(txn, request.user)
            moment = timezone.localtime(txn.created_at)
            yield writer.writerow(
                [
                    moment.date().isoformat(),
                    moment.time().isoformat(timespec="seconds"),
                    txn.token,
                    row.word,
                    defused(row.counterparty),
                    defused(txn.description),
                    f"{row.signed_amount:.2f}",
                    txn.currency,
                    row.status_word,
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="comrade-pay-history.csv"'
    return response


@login_required
@require_GET
def statement(request, fmt: str):
    """The wallet statement of the statements app, as a file, for the logged-in user only."""
    try:
        return statement_response(wallet_statement(request.user, query_period(request.GET)), fmt)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("wallet:history")


# --- One transaction -----------------------------------------------------------------------------


def _own_transaction(request, pk: int) -> TransactionToken:
    """Only the user's own transactions (as sender or receiver): anyone else's is a 404."""
    account_id = profile_for(request.user).account_id
    return get_object_or_404(queries.wallet_transactions(request.user, account_id).select_related("external"), pk=pk)


def _checkable(txn: TransactionToken, user) -> bool:
    payment = getattr(txn, "external", None)
    return (
        payment is not None
        and payment.direction == ExternalPayment.Direction.IN
        and txn.sender_id == user.pk
        and txn.status in (Status.PENDING, Status.AUTHORIZED)
    )


@login_required
@require_GET
def transaction(request, pk: int):
    txn = _own_transaction(request, pk)
    if request.GET.get("check") and _checkable(txn, request.user):
        try:
            payment_refresh(txn)
        except ApplicationError as error:  # the provider is no longer enabled here
            messages.error(request, error.message)
        txn = _own_transaction(request, pk)
    return render(request, "web/wallet/transaction.html", _receipt(request, txn))


@login_required
@require_GET
def transaction_status(request, pk: int):
    """The receipt's status fragment, polled by htmx while the payment is still open."""
    txn = _own_transaction(request, pk)
    return render(request, "web/wallet/_status.html", _receipt(request, txn))


def _receipt(request, txn: TransactionToken) -> dict:
    row = queries.row_of(txn, request.user)
    payment = getattr(txn, "external", None)
    bank = payment is not None and payment.provider == "bank" and payment.destination
    return {
        "txn": txn,
        "row": row,
        "stages": stages(txn),
        "history": list(txn.status_changes.order_by("id")),
        "payment": payment,
        "bank_destination": shown_destination(payment.destination) if bank else None,
        "final": txn.is_final,
    }


def stages(txn: TransactionToken) -> list[dict]:
    """Started -> Waiting for provider -> Completed or Failed, each done, current or to come.
    An internal payment has no provider to wait for."""
    external = txn.payment_method == TransactionToken.PaymentMethod.EXTERNAL
    failed = txn.status in (Status.FAILED, Status.CANCELLED)
    done = txn.status == Status.COMPLETED
    end = {Status.FAILED: "Failed", Status.CANCELLED: "Cancelled"}.get(txn.status, "Completed")
    steps = [{"label": "Started", "state": "done"}]
    if external:
        waiting = "done" if (done or failed) else "current"
        steps.append({"label": "Waiting for provider", "state": waiting})
    final_state = "failed" if failed else "done" if done else "todo" if external else "current"
    steps.append({"label": end, "state": final_state})
    return steps
