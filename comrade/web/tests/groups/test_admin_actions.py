import re
from decimal import Decimal

import pytest

from comrade.groups.models import ApprovalRequest, GroupMembers, GroupTarget, PaymentGroups
from comrade.groups.services import group_contribute, group_rotation_set
from comrade.groups.tests.factories import GroupMemberFactory
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.models import TransactionToken

pytestmark = pytest.mark.django_db
KEY = "0b7f7d58-7f8e-4a4c-9d0a-0d6cb1b9b0a1"


def key_in(response) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', response.content.decode()).group(1)


@pytest.fixture
def funded(group, admin, member):
    group_contribute(group=group, user=admin, amount=Decimal("100.00"))
    group_contribute(group=group, user=member, amount=Decimal("50.00"))
    return group


def test_payout_form_confirmation_and_once(browser_for, funded, admin, member):
    client = browser_for(admin)
    url = f"/groups/{funded.pk}/payout/"
    assert client.get(url).status_code == 200
    review = client.post(url, {"user_id": member.pk, "amount": "40", "description": "Tickets"})
    html = review.content.decode()
    assert "USD 40.00 leaves the group" in html and "The pot will hold USD 110.00" in html
    assert pot(funded) == Decimal("150.00")  # the confirmation page moved nothing

    data = {"user_id": member.pk, "amount": "40.00", "description": "Tickets", "form_key": key_in(review)}
    first = client.post(f"{url}confirm/", data)
    second = client.post(f"{url}confirm/", data)

    assert first.status_code == second.status_code == 302
    assert (pot(funded), wallet(member)) == (Decimal("110.00"), Decimal("190.00"))
    assert TransactionToken.objects.filter(transaction_type="PAYOUT", status="COMPLETED").count() == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"amount": "40.001"}, "at most two decimals"),
        ({"amount": "-3"}, "greater than zero"),
        ({"amount": "150.01"}, "The pot holds USD 150.00."),
        ({"amount": "10", "user_id": "999999"}, "Select a valid choice"),
    ],
)
def test_payout_bad_values_write_nothing(browser_for, funded, admin, member, unchanged, data, message):
    with unchanged():
        response = browser_for(admin).post(f"/groups/{funded.pk}/payout/", {"user_id": member.pk, **data})
    assert response.status_code == 200 and message in response.content.decode()


def test_payout_confirm_with_a_tampered_amount_writes_nothing(browser_for, funded, admin, member, unchanged):
    with unchanged(transactions=False):
        response = browser_for(admin).post(
            f"/groups/{funded.pk}/payout/confirm/", {"user_id": member.pk, "amount": "999.00", "form_key": KEY}
        )
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert wallet(member) == Decimal("150.00")


def test_admin_pages_are_403_for_members_and_404_for_others(browser_for, funded, member, outsider, admin, unchanged):
    pages = [
        "payout/",
        "rotation/",
        "rotation/payout/",
        "close/",
        "targets/new/",
        f"members/{admin.pk}/role/",
        f"members/{admin.pk}/remove/",
    ]
    with unchanged():
        for page in pages:
            url = f"/groups/{funded.pk}/{page}"
            assert browser_for(member).get(url).status_code == 403, url
            assert browser_for(member).post(url, {"form_key": KEY, "amount": "1"}).status_code == 403, url
            assert browser_for(outsider).get(url).status_code == 404, url
        assert browser_for(member).post(f"/groups/{funded.pk}/payout/confirm/", {"form_key": KEY}).status_code == 403


def test_with_approvals_a_payout_becomes_a_request_and_the_last_approval_pays(
    browser_for, funded, admin, member, make_user
):
    treasurers = [make_user(), make_user()]
    for t in treasurers:
        GroupMemberFactory(group=funded, user=t, role="TREASURER")
    funded.approvals_required = 2
    funded.save()
    client = browser_for(admin)
    review = client.post(f"/groups/{funded.pk}/payout/", {"user_id": member.pk, "amount": "40"})
    assert "This group requires 2 approvals" in review.content.decode()
    response = client.post(
        f"/groups/{funded.pk}/payout/confirm/",
        {"user_id": member.pk, "amount": "40.00", "description": "", "form_key": key_in(review)},
        follow=True,
    )
    assert "Waiting for 2 approvals" in response.content.decode()
    request = ApprovalRequest.objects.get(group=funded)
    assert request.status == "PENDING" and pot(funded) == Decimal("150.00")

    approve = f"/groups/{funded.pk}/approvals/{request.pk}/approve/"
    assert browser_for(member).post(approve).status_code == 403
    assert "cannot approve or reject your own" in client.post(approve, follow=True).content.decode()
    browser_for(treasurers[0]).post(approve)
    assert pot(funded) == Decimal("150.00")
    assert approve not in browser_for(treasurers[0]).get(f"/groups/{funded.pk}/").content.decode()  # decided
    assert approve in browser_for(treasurers[1]).get(f"/groups/{funded.pk}/").content.decode()
    done = browser_for(treasurers[1]).post(approve, follow=True)
    assert "it is done" in done.content.decode()
    request.refresh_from_db()
    assert request.status == "EXECUTED"
    assert (pot(funded), wallet(member)) == (Decimal("110.00"), Decimal("190.00"))


def test_rejecting_needs_a_reason(browser_for, funded, admin, member, make_user):
    treasurers = [make_user(), make_user()]
    for t in treasurers:
        GroupMemberFactory(group=funded, user=t, role="TREASURER")
    funded.approvals_required = 2
    funded.save()
    from comrade.groups.services import approval_request_or_run

    outcome = approval_request_or_run(group=funded, requester=admin, action="close", params={})
    url = f"/groups/{funded.pk}/approvals/{outcome.request.pk}/reject/"
    assert "Say why" in browser_for(treasurers[0]).post(url, {"reason": ""}, follow=True).content.decode()
    browser_for(treasurers[0]).post(url, {"reason": "Not yet"})
    outcome.request.refresh_from_db()
    assert outcome.request.status == "REJECTED"


def test_rotation_order_then_rotation_payout_to_the_next_member(browser_for, funded, admin, member):
    client = browser_for(admin)
    bad = client.post(f"/groups/{funded.pk}/rotation/", {f"position_{admin.pk}": "1", f"position_{member.pk}": "1"})
    assert "Give each member a different position." in bad.content.decode()
    client.post(f"/groups/{funded.pk}/rotation/", {f"position_{admin.pk}": "2", f"position_{member.pk}": "1"})
    assert list(
        GroupMembers.objects.filter(group=funded).order_by("payout_position").values_list("user_id", flat=True)
    ) == [
        member.pk,
        admin.pk,
    ]
    page = client.get(f"/groups/{funded.pk}/rotation/payout/")
    assert "The next member in the order is Baraka Mwangi" in page.content.decode()
    data = {"amount": "", "form_key": key_in(page)}
    client.post(f"/groups/{funded.pk}/rotation/payout/", data)
    client.post(f"/groups/{funded.pk}/rotation/payout/", data)
    assert (pot(funded), wallet(member)) == (Decimal("0.00"), Decimal("300.00"))


def test_rotation_payout_refusals_are_shown(browser_for, group, admin, member, unchanged):
    group_rotation_set(group=group, admin=admin, order=[member.pk, admin.pk])
    client = browser_for(admin)
    with unchanged():
        empty = client.post(f"/groups/{group.pk}/rotation/payout/", {"amount": "", "form_key": KEY})
        decimals = client.post(f"/groups/{group.pk}/rotation/payout/", {"amount": "1.999", "form_key": KEY})
    assert empty.status_code == 200 and "The group&#x27;s pot is empty." in empty.content.decode()
    assert decimals.status_code == 200 and "at most two decimals" in decimals.content.decode()


def test_change_a_role(browser_for, group, admin, member):
    url = f"/groups/{group.pk}/members/{member.pk}/role/"
    assert "Treasurers approve" in browser_for(admin).get(url).content.decode()
    assert browser_for(admin).post(url, {"role": "TREASURER"}).status_code == 302
    assert GroupMembers.objects.get(group=group, user=member).role == "TREASURER"


def test_role_refusals(browser_for, group, admin, member, unchanged):
    with unchanged():
        owner = browser_for(admin).post(f"/groups/{group.pk}/members/{admin.pk}/role/", {"role": "MEMBER"})
        bad = browser_for(admin).post(f"/groups/{group.pk}/members/{member.pk}/role/", {"role": "KING"})
        assert browser_for(admin).get(f"/groups/{group.pk}/members/999999/role/").status_code == 404
    assert "The group&#x27;s owner is always an admin." in owner.content.decode()
    assert "Select a valid choice" in bad.content.decode()


def test_removing_a_member_refunds_their_balance_once(browser_for, funded, admin, member):
    url = f"/groups/{funded.pk}/members/{member.pk}/remove/"
    page = browser_for(admin).get(url)
    assert "USD 50.00" in page.content.decode()
    data = {"form_key": key_in(page)}
    first = browser_for(admin).post(url, data)
    second = browser_for(admin).post(url, data)  # replayed, although the member is gone
    assert first.status_code == second.status_code == 302
    assert not GroupMembers.objects.filter(group=funded, user=member).exists()
    assert (pot(funded), wallet(member)) == (Decimal("100.00"), Decimal("200.00"))
    assert TransactionToken.objects.filter(transaction_type="REFUND").count() == 1
    assert browser_for(admin).post(url, {"form_key": KEY}).status_code == 404  # a new removal: nobody to remove


def test_the_owner_cannot_be_removed(browser_for, funded, admin, unchanged):
    with unchanged():
        response = browser_for(admin).post(f"/groups/{funded.pk}/members/{admin.pk}/remove/", {"form_key": KEY})
    assert response.status_code == 200 and "cannot be removed" in response.content.decode()


def test_closing_refunds_everyone_once(browser_for, funded, admin, member):
    page = browser_for(admin).get(f"/groups/{funded.pk}/close/")
    assert "USD 150.00" in page.content.decode() and "cannot be opened again" in page.content.decode()
    data = {"form_key": key_in(page)}
    browser_for(admin).post(f"/groups/{funded.pk}/close/", data)
    browser_for(admin).post(f"/groups/{funded.pk}/close/", data)
    funded.refresh_from_db()
    assert funded.is_closed and pot(funded) == Decimal("0.00")
    assert (wallet(admin), wallet(member)) == (Decimal("500.00"), Decimal("200.00"))
    assert TransactionToken.objects.filter(transaction_type="REFUND").count() == 2
    again = browser_for(admin).post(f"/groups/{funded.pk}/close/", {"form_key": KEY})
    assert "This group is closed." in again.content.decode()


def test_target_create_and_its_refusals(browser_for, group, admin, unchanged):
    url = f"/groups/{group.pk}/targets/new/"
    with unchanged():
        for data, message in (
            ({"name": "", "target_amount": "10"}, "This field is required."),
            ({"name": "Roof", "target_amount": "0.001"}, "at most two decimals"),
            ({"name": "Roof", "target_amount": "10", "target_date": "2001-01-01"}, "cannot be in the past"),
        ):
            response = browser_for(admin).post(url, data)
            assert response.status_code == 200 and message in response.content.decode()
    assert browser_for(admin).post(url, {"name": "Roof", "target_amount": "300"}).status_code == 302
    assert GroupTarget.objects.get(group=group).target_amount == Decimal("300.00")
    assert PaymentGroups.objects.count() == 1
