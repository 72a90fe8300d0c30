"""Journey 4: create a group with a target, invite a friend by email; the friend opens the emailed
link (logs in on the way), accepts, contributes; the progress bar moves, and the ledger agrees."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db.models import Sum
from playwright.sync_api import expect

from comrade.groups.models import Contribution, GroupMembers, PaymentGroups
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.models import LedgerEntry, TransactionToken
from comrade.web.tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "s3cure-Passw0rd!"  # UserFactory's


def test_a_friend_joins_from_the_emailed_link_and_the_progress_bar_moves(
    page, context, site, sign_in, screenshot, make_user
):
    amina = make_user(balance="500.00", first_name="Amina", last_name="Odhiambo", email="amina@example.com")
    baraka = make_user(balance="400.00", first_name="Baraka", last_name="Mwangi", email="baraka@example.com")

    # Amina creates a group with a target and puts 240.00 in
    sign_in(amina)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{site}/groups/")
    expect(page.get_by_role("heading", name="Create a group")).to_be_visible()
    page.set_viewport_size(PHONE)
    screenshot(page, "groups-list")
    page.set_viewport_size(DESKTOP)
    page.get_by_label("Name").fill("Team Vacation 2026")
    page.get_by_label("Target (optional)").fill("600")
    page.get_by_role("button", name="Create the group").click()
    expect(page.get_by_role("heading", name="Team Vacation 2026")).to_be_visible()
    expect(page.get_by_text("USD 0.00 of USD 600.00 (0%)")).to_be_visible()
    group = PaymentGroups.objects.get(name="Team Vacation 2026")
    contribute(page, "240")
    expect(page.get_by_text("USD 240.00 of USD 600.00 (40%)")).to_be_visible()

    # ... and invites Baraka by email
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("Their email address").fill("baraka@example.com")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("We emailed an invitation to baraka@example.com.")).to_be_visible()
    [email] = mail.outbox
    link = re.search(r"https?://\S+/groups/invitations/\S+/", email.body).group(0)

    # Baraka opens the link signed out, logs in, comes back to the invitation and accepts
    context.clear_cookies()
    page.set_viewport_size(PHONE)
    page.goto(f"{site}{urlsplit(link).path}")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_focused()  # the autofocus has landed
    page.get_by_label("Email").fill("baraka@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Join Team Vacation 2026?")).to_be_visible()
    expect(page.get_by_text("Amina Odhiambo", exact=True)).to_be_visible()
    page.get_by_role("button", name="Accept and join").click()
    expect(page.get_by_text("Welcome to Team Vacation 2026.")).to_be_visible()

    # Baraka contributes 120.00: review, confirm; the bar moves from 40% to 60%
    contribute(page, "120", shoot=lambda: screenshot(page, "group-contribute-review"))
    expect(page.get_by_text("USD 360.00 of USD 600.00 (60%)")).to_be_visible()
    expect(page.locator("meter")).to_have_attribute("value", "360.00")
    screenshot(page, "group-page")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)
    page.reload()
    screenshot(page, "group-page")

    # what the ledger holds
    contributions = Contribution.objects.filter(group=group)
    assert pot(group) == Decimal("360.00") == contributions.aggregate(total=Sum("amount"))["total"]
    assert sorted(c.amount for c in contributions) == [Decimal("120.00"), Decimal("240.00")]
    assert {c.transaction.status for c in contributions} == {TransactionToken.Status.COMPLETED}
    assert (wallet(amina), wallet(baraka)) == (Decimal("260.00"), Decimal("280.00"))
    assert GroupMembers.objects.get(group=group, user=baraka).total_contributed == Decimal("120.00")
    pot_entries = LedgerEntry.objects.filter(account_id=group.pot_id)
    assert pot_entries.aggregate(total=Sum("amount"))["total"] == Decimal("360.00")

    # Amina sees the same progress
    context.clear_cookies()
    sign_in(amina)
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/groups/{group.pk}/")
    expect(page.get_by_text("USD 360.00 of USD 600.00 (60%)")).to_be_visible()
    expect(page.get_by_role("link", name="Close the group")).to_be_visible()
    screenshot(page, "group-page-admin")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling


def contribute(page, amount: str, shoot=None):
    page.get_by_role("link", name="Contribute", exact=True).click()
    page.get_by_label("Amount").fill(amount)
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_role("heading", name="Review your contribution")).to_be_visible()
    if shoot:
        shoot()
        page.set_viewport_size(DESKTOP)
        shoot()
        page.set_viewport_size(PHONE)
    page.get_by_role("button", name=re.compile(r"^Contribute USD")).click()
    expect(page.get_by_text("Thank you: your contribution")).to_be_visible()


def test_an_admin_pays_a_member_through_the_confirmation_page(page, site, sign_in, screenshot, make_user):
    from comrade.groups.services import group_contribute
    from comrade.groups.tests.factories import GroupMemberFactory, PaymentGroupFactory

    amina = make_user(balance="500.00", first_name="Amina", last_name="Odhiambo")
    baraka = make_user(balance="100.00", first_name="Baraka", last_name="Mwangi")
    group = PaymentGroupFactory(admin=amina, name="Chama Umoja")
    GroupMemberFactory(group=group, user=baraka)
    group_contribute(group=group, user=amina, amount=Decimal("300.00"))

    sign_in(amina)
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/groups/{group.pk}/")
    page.get_by_role("link", name="Pay a member").click()
    page.get_by_label("Pay to").select_option(label=f"Baraka Mwangi ({baraka.email})")
    page.get_by_label("Amount").fill("120")
    page.get_by_role("button", name="Review the payout").click()
    expect(page.get_by_text("USD 120.00 leaves the group's pot", exact=False)).to_be_visible()
    screenshot(page, "group-payout-confirm")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Pay USD 120.00").click()
    expect(page.get_by_text("Paid USD 120.00 from the pot.")).to_be_visible()
    expect(page.locator("#pot-balance")).to_have_text("USD 180.00")

    assert (pot(group), wallet(baraka)) == (Decimal("180.00"), Decimal("220.00"))
    payout = TransactionToken.objects.get(transaction_type="PAYOUT")
    assert (payout.status, payout.amount, payout.receiver) == ("COMPLETED", Decimal("120.00"), baraka)
