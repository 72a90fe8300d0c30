"""Shop: products with the API's filters, a product page with "people who bought this also
bought", buy (quantity, review, confirm once), the receipt and my purchases. Every rule is the
purchase service's (`product_purchase_preview` for the review, `product_purchase` to buy)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
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
from comrade.commerce.services.purchases import product_purchase, product_purchase_preview
from comrade.core.errors import ApplicationError, field_error
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


def _buying_context(request, product: Product, form) -> dict:
    tier = limits.tier_of(request.user)
    return {
        "product": product,
        "form": form,
        "tier": tier,
        "used": selectors.purchases_in_rolling_month(request.user, now=timezone.now()),
        "balance": balance_of(request.user),
    }


@login_required
def product_detail(request, pk):
    product = get_object_or_404(selectors.products_visible_to(request.user), pk=pk)
    context = _buying_context(request, product, BuyForm())
    context["also_bought"] = bought_with(product, user=request.user, limit=4)
    return render(request, "web/shop/product.html", context)


@login_required
@require_POST
def product_buy(request, pk):
    """The review: price x quantity, the balance after and the tier quota; nothing is written."""
    product = selectors.product_get(pk)
    form = BuyForm(request.POST)
    preview = _preview(request, product, form)
    if preview is None:
        return _refused(request, product, form)
    context = {"product": product, "preview": preview, "form_key": new_key(), "form": form}
    return render(request, "web/shop/review.html", context)


@login_required
@require_POST
def product_confirm(request, pk):
    product = selectors.product_get(pk)
    form = ConfirmBuyForm(request.POST)
    if not form.is_valid():
        return _refused(request, product, form)
    quantity = form.cleaned_data["quantity"]

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
    """What the payment would charge and the balance after, checked as the purchase service
    checks a wallet payment (active item, tier limits, funds) before anything is written."""
    if not item.is_active:
        raise field_error("quantity", "This payment item is not active.", code="payment_item_inactive")
    total = item.price * quantity
    limits.check_purchase(
        request.user,
        amount=total,
        purchases_this_month=selectors.purchases_in_rolling_month(request.user, now=timezone.now()),
    )
    balance = balance_of(request.user)
    if balance < total:
        raise field_error(
            "quantity", f"Insufficient balance: {balance} available, {total} needed.", code="insufficient_funds"
        )
    return {"total": total, "balance": balance, "balance_after": balance - total, "quantity": quantity}


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
