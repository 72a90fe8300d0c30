"""Saved payment methods: the API's `/payments/payment-profiles/payment_methods/` (list, add),
`set_default_payment_method` and `remove_payment_method`, on one page with a confirmation page
before removing. Every rule is `comrade.ledger.payment_methods`'; a method is looked up in the
signed-in person's own profile only, so anyone else's is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from comrade.core.errors import ApplicationError
from comrade.gateways.registry import display_name
from comrade.ledger.payment_methods import payment_method_add, payment_method_remove, payment_method_set_default
from comrade.ledger.selectors import profile_for
from comrade.web.methods.forms import AddMethodForm, MethodIdForm
from comrade.web.once import add_error


def _rows(profile) -> list[dict]:
    return [
        {**m, "provider_name": display_name(m["provider"]), "is_default": m["id"] == profile.default_payment_method}
        for m in profile.payment_methods
    ]


def _page(request, form, status=200):
    profile = profile_for(request.user)
    return render(request, "web/methods/list.html", {"methods": _rows(profile), "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def method_list(request):
    if request.method == "GET":
        return _page(request, AddMethodForm())
    form = AddMethodForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    try:
        payment_method_add(profile=profile_for(request.user), **form.cleaned_data)
    except ApplicationError as error:
        add_error(form, error)
        return _page(request, form)
    messages.success(request, "Payment method saved.")
    return redirect("methods:list")


@login_required
@require_POST
def method_default(request):
    form = MethodIdForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        payment_method_set_default(profile=profile_for(request.user), method_id=form.cleaned_data["method_id"])
    except ApplicationError as error:
        if error.code == "unknown_payment_method":
            raise Http404 from error
        raise
    messages.success(request, "Default payment method changed.")
    return redirect("methods:list")


@login_required
@require_http_methods(["GET", "POST"])
def method_remove(request, method_id):
    """A confirmation page, then the removal."""
    profile = profile_for(request.user)
    method = next((m for m in _rows(profile) if m["id"] == method_id), None)
    if method is None:
        raise Http404
    if request.method == "GET":
        return render(request, "web/methods/remove.html", {"method": method})
    try:
        payment_method_remove(profile=profile, method_id=method_id)
    except ApplicationError as error:  # removed meanwhile
        if error.status_code == 404:
            raise Http404 from error
        raise
    messages.success(request, "Payment method removed.")
    return redirect("methods:list")
