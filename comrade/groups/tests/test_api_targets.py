from decimal import Decimal

import pytest

from comrade.groups.models import Contribution, GroupTarget
from comrade.groups.tests.factories import GroupTargetFactory, PaymentGroupFactory
from comrade.groups.tests.helpers import pot, total_of, wallet
from comrade.ledger.checks import run_all

pytestmark = pytest.mark.django_db
BASE = "/payments/targets/"


def test_an_admin_creates_targets_as_in_the_spec(client_for, admin, group):
    api = client_for(admin)

    flights = api.post(BASE, {"group": group.pk, "name": "Flights", "target_amount": "2000.00"})
    rooms = api.post(
        BASE,
        {
            "group": group.pk,
            "name": "Accommodation",
            "description": "3 nights",
            "target_amount": "1500.00",
            "target_date": "2099-12-31",
        },
    )

    assert (flights.status_code, rooms.status_code) == (201, 201), (flights.data, rooms.data)
    assert (flights.data["current_amount"], flights.data["is_achieved"], flights.data["group"]) == (
        "0.00",
        False,
        group.pk,
    )
    assert (rooms.data["target_amount"], rooms.data["target_date"]) == ("1500.00", "2099-12-31")


def test_create_access_and_validation(client_for, member, outsider, group, unchanged):
    body = {"group": group.pk, "name": "Flights", "target_amount": "100.00"}
    with unchanged():
        as_member = client_for(member).post(BASE, body)
        as_outsider = client_for(outsider).post(BASE, body)
        bad = client_for(group.admin).post(BASE, {**body, "target_amount": "0.00"})
        missing = client_for(group.admin).post(BASE, {"group": group.pk})

    assert (as_member.status_code, as_member.data["code"]) == (403, "not_group_admin")
    assert as_outsider.status_code == 404
    assert (bad.status_code, "target_amount" in bad.data["fields"]) == (400, True)
    assert missing.status_code == 400 and {"name", "target_amount"} <= set(missing.data["fields"])


def test_list_and_detail_show_only_targets_of_my_groups(client_for, member, group):
    mine = GroupTargetFactory(group=group)
    theirs = GroupTargetFactory(group=PaymentGroupFactory())
    api = client_for(member)

    assert [t["id"] for t in api.get(BASE).data["results"]] == [mine.pk]
    assert api.get(f"{BASE}{mine.pk}/").status_code == 200
    assert api.get(f"{BASE}{theirs.pk}/").status_code == 404
    assert api.post(f"{BASE}{theirs.pk}/contribute/", {"amount": "1.00"}).status_code == 404


def test_contributing_to_a_target_moves_money_into_the_pot_allocated_to_it(client_for, member, group):
    target = GroupTargetFactory(group=group, target_amount=Decimal("60.00"))
    api = client_for(member)

    response = api.post(f"{BASE}{target.pk}/contribute/", {"amount": "50.00"})

    assert response.status_code == 201, response.data
    assert (response.data["status"], response.data["metadata"]["target_id"]) == ("COMPLETED", target.pk)
    assert (wallet(member), pot(group), total_of(group, member)) == (
        Decimal("150.00"),
        Decimal("50.00"),
        Decimal("50.00"),
    )
    detail = api.get(f"{BASE}{target.pk}/").data
    assert (detail["current_amount"], detail["is_achieved"]) == ("50.00", False)

    over = api.post(f"{BASE}{target.pk}/contribute/", {"amount": "10.01"})
    assert (over.status_code, over.data["code"]) == (400, "target_exceeded")
    done = api.post(f"{BASE}{target.pk}/contribute/", {"amount": "10.00"})
    assert done.status_code == 201
    assert api.get(f"{BASE}{target.pk}/").data["is_achieved"] is True
    assert Contribution.objects.filter(target=target).count() == 2
    assert run_all() == []


def test_contributing_through_the_group_endpoint_with_a_target(client_for, member, group):
    target = GroupTargetFactory(group=group)

    response = client_for(member).post(
        f"/payments/payment-groups/{group.pk}/contribute/",
        {"amount": "5.00", "payment_method": "INTERNAL", "target": target.pk},
    )

    assert response.status_code == 201, response.data
    assert GroupTarget.objects.get(pk=target.pk).current_amount == Decimal("5.00")


def test_target_contribution_with_insufficient_funds(client_for, member, group):
    target = GroupTargetFactory(group=group, target_amount=Decimal("500.00"))

    response = client_for(member).post(f"{BASE}{target.pk}/contribute/", {"amount": "200.01"})

    assert (response.status_code, response.data["code"]) == (400, "insufficient_funds")
    assert (wallet(member), pot(group), GroupTarget.objects.get(pk=target.pk).current_amount) == (
        Decimal("200.00"),
        0,
        0,
    )


def test_target_contribution_is_idempotent(client_for, member, group):
    target = GroupTargetFactory(group=group)
    api = client_for(member)

    first = api.post(f"{BASE}{target.pk}/contribute/", {"amount": "5.00"}, HTTP_IDEMPOTENCY_KEY="t-1")
    again = api.post(f"{BASE}{target.pk}/contribute/", {"amount": "5.00"}, HTTP_IDEMPOTENCY_KEY="t-1")

    assert again.data["token"] == first.data["token"]
    assert pot(group) == Decimal("5.00")
