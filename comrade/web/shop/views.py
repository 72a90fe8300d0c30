"""Shop: products with the API's filters, a product page with "people who bought this also
bought", buy (quantity, review, confirm once), the receipt and my purchases. Every rule is the
purchase service's (`product_purchase_preview` for the review, `product_purchase` to buy)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from comrade import limits
from comrade.commerce import selectors
from comrade.commerce.filters import ProductFilter
from comrade.commerce.models import Product
from comrade.commerce.recommendations import bought_with, recommendations_for
from comrade.commerce.services.purchases import payment_item_pay as product_payment_item_pay
from comrade.commerce.services.purchases import (
    payment_item_pay_preview,
    product_purchase,
    product_purchase_from_pot_preview,
    product_purchase_preview,
)
from comrade.core.errors import ApplicationError
from comrade.groups.models import ApprovalDecision, ApprovalRequest, GroupMembers, PaymentGroups
from comrade.groups.selectors import approval_request_for, group_for, groups_of
from comrade.groups.services import approval_request_or_run
from comrade.groups.services.common import approvals_needed
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.web.once import add_error, new_key, submit_once
from comrade.web.shop.forms import BuyForm, ConfirmBuyForm, ProductSearchForm

PAGE_SIZE = 12
ORDERINGS = {"price", "-price", "-created_at"}


@login_required
def product_list(request):
    visible = selectors.products_visible_to(request.user)
    categories = visible.order_by("category").values_list("category", flat=True).distinct()
    form = ProductSearchForm(request.GET or None, categories=list(categories))
    form.is_valid()
    found = ProductFilter(request.GET, queryset=visible)
    products = found.qs if found.is_valid() else visible.none()
    for name, errors in found.errors.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
    for term in request.GET.get("search", "").split()[:10]:  # as DRF's SearchFilter: every term, in the name
        products = products.filter(name__icontains=term)
    if request.GET.get("ordering") in ORDERINGS:
        products = products.order_by(request.GET["ordering"], "id")
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "filtered": bool(request.GET)}
    if not request.GET:
        context["picks"] = recommendations_for(request.user, limit=4)
    return render(request, "web/shop/list.html", context)


def _pot_groups(user) -> list:
    """The purchase groups whose pot the user may spend: those they administer, still open."""
    mine = groups_of(user).filter(group_type=PaymentGroups.GroupType.PURCHASE, my_role=GroupMembers.Role.ADMIN)
    return [group for group in mine if not group.is_closed]


def _buying_context(request, product: Product, form) -> dict:
    tier = limits.tier_of(request.user)
    return {
        "pot_groups": _pot_groups(request.user),
        "product": product,
        "form": form,
        "tier": tier,
        "used": selectors.purchases_in_rolling_month(request.user, now=timezone.now()),
        "balance": balance_of(request.user),
    }


@login_required
def product_detail(request, pk):
    product = get_object_or_404(selectors.products_visible_to(request.user), pk=pk)
    context = _buying_context(request, product, BuyForm(groups=_pot_groups(request.user)))
    context["also_bought"] = bought_with(product, user=request.user, limit=4)
    return render(request, "web/shop/product.html", context)


@login_required
@require_POST
def product_buy(request, pk):
    """The review: price x quantity, the balance after and the tier quota; nothing is written."""
    product = selectors.product_get(pk)
    groups = _pot_groups(request.user)
    form = BuyForm(request.POST, groups=groups)
    if form.is_valid() and form.cleaned_data["group"]:
        return _pot_review(request, product, form, groups)
    preview = _preview(request, product, form)
    if preview is None:
        return _refused(request, product, form)
    context = {"product": product, "preview": preview, "form_key": new_key(), "form": form}
    return render(request, "web/shop/review.html", context)


@login_required
@require_POST
def product_confirm(request, pk):
    product = selectors.product_get(pk)
    groups = _pot_groups(request.user)
    form = ConfirmBuyForm(request.POST, groups=groups)
    if not form.is_valid():
        return _refused(request, product, form)
    quantity = form.cleaned_data["quantity"]
    if form.cleaned_data["group"]:
        return _pot_confirm(request, product, form, groups)

    def buy() -> str:
        """Checked again first (nothing is written when the preview refuses); a repeat of the
        same confirmation never gets here: it replays the first receipt."""
        _checked(product_purchase_preview, buyer=request.user, product=product, quantity=quantity)
        outcome = product_purchase(buyer=request.user, product=product, quantity=quantity)
        if outcome.transaction.status == TransactionToken.Status.FAILED:
            raise ApplicationError(
                "insufficient_funds", outcome.transaction.failure_reason, fields={"quantity": ["Insufficient balance."]}
            )
        return reverse("shop:receipt", args=[outcome.purchase.pk])

    try:
        url = submit_once(
            request, key=form.cleaned_data["form_key"], data={"product": pk, "quantity": quantity}, work=buy
        )
    except ApplicationError as error:
        add_error(form, error)
        return _refused(request, product, form)
    return redirect(url)


def _group_in(groups, pk):
    return next(group for group in groups if group.pk == pk)  # the form accepted only these


def _pot_checked(request, product, group, quantity: int) -> dict:
    """The review of a pot purchase (the service's preview: nothing is locked or written). A
    refusal about the pot stays next to "Pay from"; any other one goes next to the quantity."""
    try:
        preview = product_purchase_from_pot_preview(admin=request.user, group=group, product=product, quantity=quantity)
    except ApplicationError as error:
        if "group" not in error.fields:
            error.fields = {"quantity": [error.message]}
        raise
    return {
        "group": group,
        "quantity": quantity,
        "unit_price": product.price,
        "total": preview.order.total,
        "pot": preview.balance,
        "pot_after": preview.balance_after,
        "approvals": group.approvals_required if approvals_needed(group) else 0,
    }


def _pot_error(error: ApplicationError) -> None:
    """A refusal about the group, its pot or the admin's rights is shown next to "Pay from"."""
    if "quantity" not in error.fields:
        error.fields = {"group": [error.message]}


def _pot_review(request, product, form, groups):
    group = _group_in(groups, form.cleaned_data["group"])
    try:
        preview = _pot_checked(request, product, group, form.cleaned_data["quantity"])
    except ApplicationError as error:
        _pot_error(error)
        add_error(form, error)
        return _refused(request, product, form)
    context = {"product": product, "preview": preview, "form_key": new_key()}
    return render(request, "web/shop/pot_review.html", context)


def _pot_confirm(request, product, form, groups):
    group = _group_in(groups, form.cleaned_data["group"])
    quantity = form.cleaned_data["quantity"]

    def buy() -> str:
        """As the API's purchase with a group: a request waiting for approvals when the group
        requires several, else the purchase from the pot."""
        _pot_checked(request, product, group, quantity)
        decided = approval_request_or_run(
            group=group,
            requester=request.user,
            action=ApprovalRequest.Action.POT_PURCHASE,
            params={"product_id": product.pk, "quantity": quantity},
        )
        if decided.request is not None:
            return reverse("shop:pot_request", args=[group.pk, decided.request.pk])
        outcome = decided.result
        if outcome.transaction.status == TransactionToken.Status.FAILED:
            raise ApplicationError("insufficient_funds", outcome.transaction.failure_reason)
        return reverse("shop:receipt", args=[outcome.purchase.pk])

    data = {"product": product.pk, "quantity": quantity, "group": group.pk}
    try:
        url = submit_once(request, key=form.cleaned_data["form_key"], data=data, work=buy)
    except ApplicationError as error:
        _pot_error(error)
        add_error(form, error)
        return _refused(request, product, form)
    return redirect(url)


@login_required
def pot_request(request, group_pk, pk):
    """A pot purchase waiting for the group's approvals (or what became of it)."""
    try:
        group = group_for(request.user, group_pk)
        approval = approval_request_for(group, pk)
    except ApplicationError as error:
        raise Http404 from error
    if approval.action != ApprovalRequest.Action.POT_PURCHASE:
        raise Http404
    approved = sum(1 for d in approval.decisions.all() if d.decision == ApprovalDecision.Decision.APPROVE)
    context = {
        "group": group,
        "approval": approval,
        "product": Product.objects.filter(pk=approval.params.get("product_id")).first(),
        "waiting_for": max(group.approvals_required - approved, 0),
    }
    return render(request, "web/shop/pot_request.html", context)


def _checked(preview, **kwargs):
    """The service's preview; a refusal about the product itself or a tier limit is shown next
    to the quantity, the one field of the form."""
    try:
        return preview(**kwargs)
    except ApplicationError as error:
        if "product" in error.fields or not error.fields:  # unavailable, or a tier limit
            error.fields = {"quantity": [error.message]}
        raise


def _preview(request, product, form):
    if not form.is_valid():
        return None
    try:
        quantity = form.cleaned_data["quantity"]
        return _checked(product_purchase_preview, buyer=request.user, product=product, quantity=quantity)
    except ApplicationError as error:
        add_error(form, error)
        return None


def _refused(request, product, form):
    """The product page again with the reasons next to the quantity (200: htmx swaps it)."""
    context = _buying_context(request, product, form)
    context["also_bought"] = bought_with(product, user=request.user, limit=4) if product.is_available else []
    return render(request, "web/shop/product.html", context)


@login_required
def purchase_list(request):
    page = Paginator(selectors.purchases_of(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "web/shop/purchases.html", {"page": page})


@login_required
def purchase_receipt(request, pk):
    purchase = get_object_or_404(selectors.purchases_of(request.user), pk=pk)
    return render(request, "web/shop/receipt.html", {"purchase": purchase, "balance": balance_of(request.user)})


# Payment items: the API's `/payments/payment-items/` list and `pay` (payment_item_pay).


@login_required
def item_list(request):
    items = selectors.payment_items_visible_to(request.user)
    return render(request, "web/shop/items.html", {"items": items, "balance": balance_of(request.user)})


def _item_checked(request, item, quantity: int):
    """What the payment would charge and the balance after (the service's preview)."""
    preview = payment_item_pay_preview(payer=request.user, item=item, quantity=quantity)
    return {
        "total": preview.order.total,
        "balance": preview.balance,
        "balance_after": preview.balance_after,
        "quantity": quantity,
    }


def _item_refused(request, item, form):
    items = selectors.payment_items_visible_to(request.user)
    context = {"items": items, "balance": balance_of(request.user), "item": item, "form": form}
    return render(request, "web/shop/items.html", context)


@login_required
@require_POST
def item_pay(request, pk):
    """The review: price x quantity and the balance after; nothing is written."""
    item = selectors.payment_item_get(pk)
    form = BuyForm(request.POST)
    if not form.is_valid():
        return _item_refused(request, item, form)
    try:
        preview = _item_checked(request, item, form.cleaned_data["quantity"])
    except ApplicationError as error:
        _quantity_error(error)
        add_error(form, error)
        return _item_refused(request, item, form)
    return render(request, "web/shop/item_review.html", {"item": item, "preview": preview, "form_key": new_key()})


def _quantity_error(error: ApplicationError) -> None:
    if not error.fields or "payment_item" in error.fields:
        error.fields = {"quantity": [error.message]}


@login_required
@require_POST
def item_confirm(request, pk):
    item = selectors.payment_item_get(pk)
    form = ConfirmBuyForm(request.POST)
    if not form.is_valid():
        return _item_refused(request, item, form)
    quantity = form.cleaned_data["quantity"]

    def pay() -> str:
        _item_checked(request, item, quantity)
        outcome = product_payment_item_pay(payer=request.user, item=item, quantity=quantity)
        if outcome.transaction.status == TransactionToken.Status.FAILED:
            raise ApplicationError(
                "insufficient_funds", outcome.transaction.failure_reason, fields={"quantity": ["Insufficient balance."]}
            )
        return reverse("wallet:transaction", args=[outcome.transaction.pk])

    try:
        url = submit_once(
            request, key=form.cleaned_data["form_key"], data={"payment_item": pk, "quantity": quantity}, work=pay
        )
    except ApplicationError as error:
        _quantity_error(error)
        add_error(form, error)
        return _item_refused(request, item, form)
    return redirect(url)
