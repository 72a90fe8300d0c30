"""Browser journeys 5-8 of issue 11: a standing order run by the scheduler, buying a product
with recommendations, upgrading the subscription, and another user's objects by URL (404).
Each checks what the person sees and what the ledger holds afterwards."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comrade.commerce.models import Purchase, UserSubscription
from comrade.commerce.tests.factories import ProductFactory, purchase_history
from comrade.core import jobs, scheduler
from comrade.ledger.models import LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution
from comrade.web.tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice(make_user):
    return make_user(balance="100.00", first_name="Alice", last_name="Achieng", email="alice@example.com")


@pytest.fixture
def bob(make_user):
    return make_user(first_name="Bob", last_name="Baraka", email="bob@example.com")


def test_5_a_standing_order_created_in_the_browser_is_paid_by_the_scheduler(
    page, site, sign_in, screenshot, alice, bob
):
    sign_in(alice)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{site}/standing-orders/")
    page.get_by_role("link", name="Set up your first standing order").click()
    page.get_by_label("Pay to (email)").fill("bob@example.com")
    page.get_by_label("Amount each time").fill("25")
    page.get_by_label("How often").select_option("MONTHLY")
    page.get_by_label("First payment").fill(timezone.now().date().isoformat())
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_role("heading", name="Check your standing order")).to_be_visible()
    expect(page.get_by_text("Bob Baraka").first).to_be_visible()
    page.set_viewport_size(PHONE)
    screenshot(page, "standing-order-review")
    page.get_by_role("button", name="Pay USD 25.00 monthly to Bob Baraka").click()
    expect(page.get_by_role("heading", name="USD 25.00 monthly to Bob Baraka")).to_be_visible()
    order = StandingOrder.objects.get(user=alice)

    assert scheduler.execute(jobs.get("execute_standing_orders")) == 1

    page.reload()
    expect(page.locator("tr.execution")).to_have_count(1)
    expect(page.locator("tr.execution")).to_contain_text("Paid")
    screenshot(page, "standing-order-detail")
    run = StandingOrderExecution.objects.get(order=order)
    assert run.status == "SUCCEEDED" and run.transaction.status == "COMPLETED"
    assert (balance_of(alice), balance_of(bob)) == (Decimal("75.00"), Decimal("25.00"))
    assert sum(LedgerEntry.objects.filter(transaction=run.transaction).values_list("amount", flat=True)) == 0
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page.set_viewport_size(size)
        page.goto(f"{site}/standing-orders/")
        expect(page.get_by_role("link", name="Bob Baraka")).to_be_visible()
        screenshot(page, "standing-orders")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name


def test_6_buy_a_product_see_it_in_purchases_and_recommendations(page, site, sign_in, screenshot, alice, make_user):
    book = ProductFactory(
        name="Two Scoops of Django", price=Decimal("30.00"), category="Books", description="Best practices for Django."
    )
    tea = ProductFactory(name="Green Tea, 100 bags", price=Decimal("7.25"), category="Groceries")
    ProductFactory(name="USB-C Hub", price=Decimal("29.99"), category="Electronics")
    for _ in range(2):
        other = make_user()
        purchase_history(other, book)
        purchase_history(other, tea)
    sign_in(alice)
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/shop/")
    screenshot(page, "shop-list")
    page.get_by_text("Category, price and order").click()
    page.get_by_label("Category").select_option("Books")
    page.get_by_role("button", name="Show products").click()
    expect(page.get_by_role("link", name="USB-C Hub")).to_have_count(0)
    page.get_by_role("link", name="Two Scoops of Django").click()
    also = page.get_by_role("region", name="People who bought this also bought")
    expect(also).to_contain_text("Green Tea, 100 bags")
    expect(also).to_contain_text("2 people who bought Two Scoops of Django also bought this")
    screenshot(page, "shop-product")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "shop-product")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Review purchase").click()
    expect(page.get_by_text("USD 60.00").first).to_be_visible()
    expect(page.get_by_text("USD 40.00")).to_be_visible()  # balance after
    page.get_by_role("button", name="Pay USD 60.00 for Two Scoops of Django").click()
    expect(page.get_by_role("heading", name="Thank you: paid USD 60.00")).to_be_visible()
    page.get_by_role("link", name="My purchases").click()
    expect(page.locator("tr.purchase")).to_have_count(1)
    expect(page.locator("tr.purchase")).to_contain_text("Two Scoops of Django")

    purchase = Purchase.objects.get(buyer=alice)
    assert (purchase.product, purchase.quantity, purchase.total) == (book, 2, Decimal("60.00"))
    assert purchase.transaction.status == "COMPLETED" and balance_of(alice) == Decimal("40.00")
    page.goto(f"{site}/shop/")
    picks = page.get_by_role("region", name="Picked for you")
    expect(picks).to_contain_text("Green Tea, 100 bags")
    expect(picks).to_contain_text("bought together with Two Scoops of Django")


def test_7_upgrade_the_subscription_and_the_limits_change(page, site, sign_in, screenshot, alice):
    sign_in(alice)
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.goto(f"{site}/subscription/")
        screenshot(page, "subscription")
    expect(page.get_by_text("0 of 3 groups you run")).to_be_visible()
    page.get_by_role("button", name="Upgrade to Standard").click()
    expect(page.get_by_role("heading", name="Upgrade to Standard")).to_be_visible()
    expect(page.get_by_text("USD 90.01")).to_be_visible()  # balance after
    screenshot(page, "subscription-review")
    page.get_by_role("button", name="Pay USD 9.99 and switch to Standard").click()
    expect(page.get_by_role("heading", name="Your plan: Standard")).to_be_visible()
    expect(page.get_by_text("0 of 10 groups you run")).to_be_visible()
    expect(page.get_by_text("0 of 25 purchases in the last 30 days")).to_be_visible()

    sub = UserSubscription.objects.get(user=alice, status="ACTIVE")
    assert (sub.subscription_type, sub.price, sub.last_transaction.status) == ("STANDARD", Decimal("9.99"), "COMPLETED")
    charge = TransactionToken.objects.get(sender=alice, transaction_type="SUBSCRIPTION")
    assert charge.amount == Decimal("9.99") and balance_of(alice) == Decimal("90.01")
    assert sum(LedgerEntry.objects.filter(transaction=charge).values_list("amount", flat=True)) == 0


@pytest.fixture
def someone_elses(alice, bob):
    """Alice's transaction, group and standing order."""
    from comrade.groups.services import group_create
    from comrade.standing_orders.services import standing_order_create
    from comrade.transfers.services import transfer_create

    txn = transfer_create(sender=alice, receiver_id=bob.pk, amount=Decimal("5.00"), description="Lunch")
    group = group_create(admin=alice, name="Alice's chama", group_type="SAVINGS")
    order = standing_order_create(
        user=alice, recipient_id=bob.pk, amount=Decimal("7.00"), frequency="WEEKLY", start_date=timezone.now().date()
    )
    return {
        "transaction": f"/transactions/{txn.pk}/",
        "group": f"/groups/{group.pk}/",
        "standing order": f"/standing-orders/{order.pk}/",
    }


@pytest.mark.parametrize("kind", ["standing order", "transaction", "group"])
def test_8_another_user_cannot_open_the_first_users_objects(page, site, sign_in, make_user, alice, someone_elses, kind):
    path = someone_elses[kind]
    sign_in(alice)
    assert page.goto(f"{site}{path}").status == 200  # the owner can
    page.context.clear_cookies()
    sign_in(make_user(balance="1.00"))
    response = page.goto(f"{site}{path}")
    assert response.status == 404
    body = page.content()
    assert "Alice" not in body and "Bob Baraka" not in body
