"""Standing orders: the list, create (form, review, confirm), one order with its next run dates
and executions, pause, resume and cancel (through a confirmation page). Every rule is the
standing orders service's; another user's order is 404 (`standing_orders_of`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from comrade.core.errors import ApplicationError
from comrade.ledger.selectors import balance_of
from comrade.standing_orders import selectors, services
from comrade.web.once import new_key, submit_once
from comrade.web.standing_orders.forms import (
    ConfirmStandingOrderForm,
    EditStandingOrderForm,
    StandingOrderForm,
    place,
)

UPCOMING = 5


@login_required
def order_list(request):
    orders = selectors.standing_orders_of(request.user).select_related("recipient", "group")
    return render(request, "web/standing_orders/list.html", {"orders": orders})


@login_required
def order_new(request):
    """GET: the empty form (or the values back from the review's Edit). POST: check the terms with
    the service's preview and show the review; nothing is written."""
    if request.method != "POST":
        form = StandingOrderForm(initial=request.GET.dict() if request.GET else None, user=request.user)
        return render(request, "web/standing_orders/new.html", {"form": form})
    form = StandingOrderForm(request.POST, user=request.user)
    order = _preview(request, form)
    if order is None:
        return render(request, "web/standing_orders/new.html", {"form": form})
    context = {
        "form": form,
        "order": order,
        "payee": _payee(order),
        "dates": selectors.upcoming_run_dates(order, UPCOMING),
        "form_key": new_key(),
    }
    return render(request, "web/standing_orders/review.html", context)


@login_required
@require_POST
def order_confirm(request):
    form = ConfirmStandingOrderForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "web/standing_orders/new.html", {"form": form})
    terms = form.terms()

    def create() -> str:
        """The service checks the terms again; a repeat of the same confirmation never gets
        here: it replays the first answer."""
        order = services.standing_order_create(user=request.user, **terms)
        messages.success(request, "Standing order set up.")
        return reverse("standing_orders:detail", args=[order.pk])

    try:
        url = submit_once(request, key=form.cleaned_data["form_key"], data=terms, work=create)
    except ApplicationError as error:
        place(error, form)
        return render(request, "web/standing_orders/new.html", {"form": form})
    return redirect(url)


def _preview(request, form):
    """The order the service would create, or None with the reasons on the form."""
    if not form.is_valid():
        return None
    try:
        return services.standing_order_preview(user=request.user, **form.terms())
    except ApplicationError as error:
        place(error, form)
        return None


def _payee(order) -> str:
    if order.recipient_id is not None:
        return order.recipient.get_full_name() or order.recipient.email
    return f"the group {order.group.name}"


def _own(request, pk):
    return get_object_or_404(selectors.standing_orders_of(request.user).select_related("recipient", "group"), pk=pk)


@login_required
def order_detail(request, pk):
    order = _own(request, pk)
    context = {
        "order": order,
        "dates": selectors.upcoming_run_dates(order, UPCOMING),
        "executions": selectors.executions_of(order)[:50],
        "balance": balance_of(request.user),
    }
    return render(request, "web/standing_orders/detail.html", context)


@login_required
@require_POST
def order_pause(request, pk):
    return _change(
        request, _own(request, pk), services.standing_order_pause, "Paused: nothing is paid until you resume."
    )


@login_required
@require_POST
def order_resume(request, pk):
    return _change(request, _own(request, pk), services.standing_order_resume, "Resumed.")


@login_required
def order_edit(request, pk):
    """Change the amount, schedule or reference through `standing_order_update` (which keeps
    periods already paid and moves the next one to the new schedule)."""
    order = _own(request, pk)
    fields = list(EditStandingOrderForm.base_fields)
    if request.method != "POST":
        form = EditStandingOrderForm(initial={name: getattr(order, name) for name in fields})
        return render(request, "web/standing_orders/edit.html", {"order": order, "form": form})
    form = EditStandingOrderForm(request.POST)
    if form.is_valid():
        try:
            services.standing_order_update(order=order, data=form.cleaned_data)
        except ApplicationError as error:
            place(error, form)
        else:
            messages.success(request, "Standing order changed.")
            return redirect("standing_orders:detail", pk=order.pk)
    return render(request, "web/standing_orders/edit.html", {"order": order, "form": form})


@login_required
def order_cancel(request, pk):
    """GET: the confirmation page stating what cancelling does. POST: cancel."""
    order = _own(request, pk)
    if request.method != "POST":
        return render(request, "web/standing_orders/cancel.html", {"order": order})
    return _change(request, order, services.standing_order_cancel, "Cancelled. No further payments will be made.")


def _change(request, order, service, done: str):
    try:
        service(order=order)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("standing_orders:detail", pk=order.pk)
