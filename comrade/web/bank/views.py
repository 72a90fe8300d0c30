"""The person's saved bank accounts (the destinations of bank withdrawals): list, add, delete.
The same services as the API's /payments/bank-accounts/ (`bank_account_create`,
`bank_account_delete`); another user's account is a 404."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from comrade.bank.models import BankAccount
from comrade.bank.services.accounts import bank_account_create, bank_account_delete
from comrade.core.errors import ApplicationError
from comrade.web.bank.display import iban_masked
from comrade.web.bank.forms import BankAccountForm
from comrade.web.once import add_error


def _mine(request):
    return BankAccount.objects.filter(user=request.user)  # the API's queryset


def _rows(accounts) -> list[dict]:
    return [{"account": a, "iban_masked": iban_masked(a.iban)} for a in accounts]


@login_required
@require_GET
def account_list(request):
    return render(request, "web/bank/list.html", {"rows": _rows(_mine(request)), "next": _next(request)})


def _next(request) -> str:
    """Back to the withdraw page when the person came from there (a fixed choice, not a URL)."""
    return "withdraw" if request.GET.get("next") == "withdraw" or request.POST.get("next") == "withdraw" else ""


@login_required
@require_http_methods(["GET", "POST"])
def account_add(request):
    form = BankAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = bank_account_create(user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_error(form, error)
        else:
            messages.success(request, f"Saved {account.holder_name}'s account ending {account.iban[-4:]}.")
            if _next(request) == "withdraw":
                query = urlencode({"provider": "bank", "bank_account": account.pk})
                return redirect(f"{reverse('wallet:withdraw')}?{query}")
            return redirect("bank:list")
    return render(request, "web/bank/add.html", {"form": form, "next": _next(request)})


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request, pk: int):
    account = get_object_or_404(_mine(request), pk=pk)
    if request.method == "POST":
        try:
            bank_account_delete(user=request.user, account_id=account.pk)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("bank:list")
        messages.success(request, f"Deleted the account ending {account.iban[-4:]}.")
        return redirect("bank:list")
    return render(request, "web/bank/delete.html", {"account": account, "iban_masked": iban_masked(account.iban)})
