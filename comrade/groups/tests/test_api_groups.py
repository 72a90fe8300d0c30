"""The payment-groups endpoints through HTTP: wiring, status codes, access (non-members 404,
members without admin rights 403) and that refusals change nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.groups.models import Contribution, GroupMembers, PaymentGroups
from comrade.groups.tests.factories import GroupInvitationFactory, GroupMemberFactory, PaymentGroupFactory
from comrade.groups.tests.helpers import pot, total_of, wallet
from comrade.ledger.checks import run_all

pytestmark = pytest.mark.django_db
BASE = "/payments/payment-groups/"


def url(group, action: str = "") -> str:
    return f"{BASE}{group.pk}/{action + '/' if action else ''}"


@pytest.fixture
def as_admin(client_for, admin):
    return client_for(admin)


@pytest.fixture
def as_member(client_for, member):
    return client_for(member)


@pytest.fixture
def as_outsider(client_for, outsider):
    return client_for(outsider)


def test_create_a_savings_group_as_in_the_spec(as_admin, admin):
    body = {
        "name": "Team Vacation 2026",
        "description": "Group savings for summer trip",
        "group_type": "SAVINGS",
        "target_amount": "5000.00",
        "deadline": (timezone.localdate() + timedelta(days=90)).isoformat(),
    }

    response = as_admin.post(BASE, body)

    assert response.status_code == 201, response.data
    data = response.data
    assert (data["name"], data["group_type"], data["target_amount"], data["current_amount"]) == (
        "Team Vacation 2026",
        "SAVINGS",
        "5000.00",
        "0.00",
    )
    assert (data["admin"], data["my_role"], data["member_count"], data["currency"]) == (admin.pk, "ADMIN", 1, "USD")
    assert GroupMembers.objects.get(group_id=data["id"]).role == "ADMIN"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"group_type": "SAVINGS"}, "name"),
        ({"name": "x", "group_type": "LOTTERY"}, "group_type"),
        ({"name": "x", "target_amount": "-1.00"}, "target_amount"),
        ({"name": "x", "target_amount": "1.001"}, "target_amount"),
        ({"name": "x", "deadline": "2000-01-01"}, "deadline"),
    ],
)
def test_create_validation(as_admin, unchanged, body, field):
    with unchanged():
        response = as_admin.post(BASE, body)

    assert response.status_code == 400
    assert field in response.data["fields"]


def test_the_group_limit_answers_403_with_its_code(as_admin, admin, unchanged):
    for i in range(3):
        assert as_admin.post(BASE, {"name": f"G{i}"}).status_code == 201

    with unchanged():
        response = as_admin.post(BASE, {"name": "G4"})

    assert response.status_code == 403
    assert (response.data["code"], response.data["tier"], response.data["limit"]) == (
        "group_limit_reached",
        "BASIC",
        "3",
    )


def test_lists_show_only_my_groups(as_member, group, member):
    PaymentGroupFactory()  # someone else's
    mine_too = PaymentGroupFactory(admin=member)

    for path in (BASE, f"{BASE}my_groups/"):
        response = as_member.get(path)
        assert response.status_code == 200
        assert [g["id"] for g in response.data["results"]] == [mine_too.pk, group.pk]
        assert {g["my_role"] for g in response.data["results"]} == {"ADMIN", "MEMBER"}


def test_detail_shows_the_pot_as_current_amount(as_member, group, member, contribute):
    contribute(group, member, "12.34")

    response = as_member.get(url(group))

    assert response.status_code == 200
    assert (response.data["current_amount"], response.data["member_count"]) == ("12.34", 2)


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("get", "", None),
        ("patch", "", {"name": "x"}),
        ("get", "members", None),
        ("get", "contributions_list", None),
        ("get", "invitations", None),
        ("post", "contribute", {"amount": "1.00", "payment_method": "INTERNAL"}),
        ("post", "invite", {"invitee_email": "a@example.com"}),
        ("post", "leave", {}),
        ("post", "remove_member", {"user_id": 1}),
        ("post", "set_role", {"user_id": 1, "role": "ADMIN"}),
        ("post", "payout", {"user_id": 1, "amount": "1.00"}),
        ("post", "rotation", {"order": [1]}),
        ("post", "rotation_payout", {}),
        ("post", "close", {}),
        ("post", "join", {}),
    ],
)
def test_non_members_get_404_everywhere(as_outsider, group, member, contribute, unchanged, method, action, body):
    contribute(group, member, "10.00")

    with unchanged():
        response = getattr(as_outsider, method)(url(group, action), body)

    assert response.status_code == 404, (action, response.data)
    assert response.data["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("patch", "", {"name": "x"}),
        ("post", "remove_member", {"user_id": 0}),
        ("post", "set_role", {"user_id": 0, "role": "ADMIN"}),
        ("post", "payout", {"user_id": 0, "amount": "1.00"}),
        ("post", "rotation", {"order": [0]}),
        ("post", "rotation_payout", {}),
        ("post", "close", {}),
    ],
)
def test_members_without_admin_rights_get_403(
    as_member, group, admin, member, contribute, unchanged, method, action, body
):
    contribute(group, member, "10.00")
    body = {k: (admin.pk if k == "user_id" else [admin.pk, member.pk] if k == "order" else v) for k, v in body.items()}

    with unchanged():
        response = getattr(as_member, method)(url(group, action), body)

    assert response.status_code == 403, (action, response.data)
    assert response.data["code"] == "not_group_admin"


def test_admin_updates_the_group(as_admin, group):
    deadline = (timezone.localdate() + timedelta(days=10)).isoformat()

    response = as_admin.patch(url(group), {"description": "New plan", "deadline": deadline, "is_open": True})

    assert response.status_code == 200, response.data
    assert (response.data["description"], response.data["deadline"], response.data["is_open"]) == (
        "New plan",
        deadline,
        True,
    )
    assert as_admin.put(url(group), {"name": "x"}).status_code == 405


def test_members_list(as_member, group, admin, member, contribute):
    contribute(group, member, "7.00")

    response = as_member.get(url(group, "members"))

    assert response.status_code == 200
    rows = {row["user"]["id"]: row for row in response.data["results"]}
    assert (rows[admin.pk]["role"], rows[member.pk]["role"]) == ("ADMIN", "MEMBER")
    assert (rows[admin.pk]["total_contributed"], rows[member.pk]["total_contributed"]) == ("0.00", "7.00")
    assert rows[member.pk]["received_this_cycle"] is False


def test_contribute_internal_and_list_the_contribution(as_member, group, member):
    response = as_member.post(url(group, "contribute"), {"amount": "100.00", "payment_method": "INTERNAL"})

    assert response.status_code == 201, response.data
    assert (response.data["status"], response.data["transaction_type"], response.data["amount"]) == (
        "COMPLETED",
        "CONTRIBUTION",
        "100.00",
    )
    assert (wallet(member), pot(group), total_of(group, member)) == (
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("100.00"),
    )
    listed = as_member.get(url(group, "contributions_list")).data["results"]
    assert [(c["member"], c["amount"], c["token"]) for c in listed] == [(member.pk, "100.00", response.data["token"])]
    assert run_all() == []


def test_contribute_with_insufficient_funds_answers_400_with_the_failed_transaction(as_member, group, member):
    response = as_member.post(url(group, "contribute"), {"amount": "200.01", "payment_method": "INTERNAL"})

    assert response.status_code == 400
    assert response.data["code"] == "insufficient_funds"
    assert response.data["transaction"]["status"] == "FAILED"
    assert (wallet(member), pot(group), Contribution.objects.count()) == (Decimal("200.00"), 0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0.00", "payment_method": "INTERNAL"}, "amount"),
        ({"amount": "-5.00", "payment_method": "INTERNAL"}, "amount"),
        ({"amount": "1.005", "payment_method": "INTERNAL"}, "amount"),
        ({"amount": "abc", "payment_method": "INTERNAL"}, "amount"),
        ({"amount": "5.00", "payment_method": "CASH"}, "payment_method"),
        ({"amount": "5.00", "payment_method": "EXTERNAL"}, "external_payment_provider"),
    ],
)
def test_contribute_validation(as_member, group, unchanged, body, field):
    with unchanged():
        response = as_member.post(url(group, "contribute"), body)

    assert response.status_code == 400
    assert field in response.data["fields"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"is_active": False}, "group_inactive"),
        ({"is_active": False, "closed_at": timezone.now()}, "group_closed"),
        ({"deadline": timezone.localdate() - timedelta(days=1)}, "group_deadline_passed"),
    ],
)
def test_contribute_to_a_group_not_taking_money(as_member, group, unchanged, change, code):
    PaymentGroups.objects.filter(pk=group.pk).update(**change)

    with unchanged():
        response = as_member.post(url(group, "contribute"), {"amount": "5.00", "payment_method": "INTERNAL"})

    assert (response.status_code, response.data["code"]) == (400, code)


def test_contribute_is_idempotent(as_member, group, member):
    body = {"amount": "30.00", "payment_method": "INTERNAL"}

    first = as_member.post(url(group, "contribute"), body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = as_member.post(url(group, "contribute"), body, HTTP_IDEMPOTENCY_KEY="k-1")
    other = as_member.post(url(group, "contribute"), {**body, "amount": "31.00"}, HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.data["token"] == first.data["token"] and again["Idempotent-Replayed"] == "true"
    assert (other.status_code, other.data["code"]) == (422, "idempotency_key_reused")
    assert (wallet(member), pot(group), Contribution.objects.count()) == (Decimal("170.00"), Decimal("30.00"), 1)


def test_contribute_externally_through_the_sandbox_checkout(as_member, group, member, client_for):
    import re

    response = as_member.post(
        url(group, "contribute"),
        {"amount": "40.00", "payment_method": "EXTERNAL", "external_payment_provider": "sandbox"},
    )
    assert response.status_code == 201, response.data
    assert (response.data["status"], response.data["next_action"]["type"]) == ("PENDING", "redirect")
    assert (pot(group), Contribution.objects.count()) == (0, 0)

    checkout = re.sub(r"^https?://[^/]+", "", response.data["next_action"]["redirect_url"])
    client_for().post(checkout, {"decision": "approve"}, format="multipart")

    contribution = Contribution.objects.get(transaction__token=response.data["token"])
    assert (contribution.member, contribution.amount, contribution.transaction.status) == (
        member,
        Decimal("40.00"),
        "COMPLETED",
    )
    assert (pot(group), total_of(group, member), wallet(member)) == (
        Decimal("40.00"),
        Decimal("40.00"),
        Decimal("200.00"),
    )
    assert run_all() == []


def test_join_an_open_group(as_outsider, group, outsider):
    PaymentGroups.objects.filter(pk=group.pk).update(is_open=True)

    response = as_outsider.post(url(group, "join"))
    again = as_outsider.post(url(group, "join"))

    assert response.status_code == 201, response.data
    assert (response.data["user"]["id"], response.data["role"]) == (outsider.pk, "MEMBER")
    assert (again.status_code, again.data["code"]) == (400, "already_member")
    assert GroupMembers.objects.filter(group=group, user=outsider).count() == 1


def test_join_with_an_invitation(as_outsider, group, outsider):
    invitation = GroupInvitationFactory(group=group, invitee_email=outsider.email)

    assert as_outsider.post(url(group, "join")).status_code == 201
    invitation.refresh_from_db()
    assert invitation.status == "ACCEPTED"


def test_join_a_full_group_is_403(as_outsider, group, outsider, unchanged):
    PaymentGroups.objects.filter(pk=group.pk).update(is_open=True)
    GroupMemberFactory(group=group)

    with unchanged():
        response = as_outsider.post(url(group, "join"))
    assert (response.status_code, response.data["code"]) == (403, "member_limit_reached")


def test_invite_and_reinvite(as_member, group, django_capture_on_commit_callbacks):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        first = as_member.post(url(group, "invite"), {"invitee_email": "friend@example.com"})
        again = as_member.post(url(group, "invite"), {"invitee_email": "friend@example.com"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.data["id"] == first.data["id"]
    assert (first.data["status"], first.data["group_name"]) == ("PENDING", group.name)
    assert "token" not in first.data
    assert len(mail.outbox) == 2
    listed = as_member.get(url(group, "invitations")).data["results"]
    assert [i["id"] for i in listed] == [first.data["id"]]


def test_invite_validation_and_members(as_member, group, admin, unchanged):
    with unchanged():
        bad = as_member.post(url(group, "invite"), {"invitee_email": "not-an-email"})
        existing = as_member.post(url(group, "invite"), {"invitee_email": admin.email})
    assert (bad.status_code, "invitee_email" in bad.data["fields"]) == (400, True)
    assert (existing.status_code, existing.data["code"]) == (400, "already_member")


def test_leave(as_member, as_admin, group, member):
    assert as_member.post(url(group, "leave")).status_code == 204
    assert not GroupMembers.objects.filter(group=group, user=member).exists()
    assert as_member.get(url(group)).status_code == 404

    owner = as_admin.post(url(group, "leave"))
    assert (owner.status_code, owner.data["code"]) == (400, "owner_cannot_leave")


def test_remove_member_and_set_role(as_admin, group, member, make_user):
    extra = GroupMemberFactory(group=group).user

    promoted = as_admin.post(url(group, "set_role"), {"user_id": member.pk, "role": "ADMIN"})
    assert (promoted.status_code, promoted.data["role"]) == (200, "ADMIN")
    bad_role = as_admin.post(url(group, "set_role"), {"user_id": member.pk, "role": "KING"})
    assert (bad_role.status_code, "role" in bad_role.data["fields"]) == (400, True)

    assert as_admin.post(url(group, "remove_member"), {"user_id": extra.pk}).status_code == 204
    assert not GroupMembers.objects.filter(group=group, user=extra).exists()
    stranger = as_admin.post(url(group, "remove_member"), {"user_id": make_user().pk})
    assert (stranger.status_code, stranger.data["code"]) == (400, "not_a_member")


def test_payout(as_admin, group, member, contribute):
    contribute(group, member, "50.00")

    response = as_admin.post(url(group, "payout"), {"user_id": member.pk, "amount": "20.00"}, HTTP_IDEMPOTENCY_KEY="p")
    replay = as_admin.post(url(group, "payout"), {"user_id": member.pk, "amount": "20.00"}, HTTP_IDEMPOTENCY_KEY="p")
    too_much = as_admin.post(url(group, "payout"), {"user_id": member.pk, "amount": "30.01"})

    assert response.status_code == 201, response.data
    assert (response.data["transaction_type"], response.data["receiver"]) == ("PAYOUT", member.pk)
    assert replay.data["token"] == response.data["token"]
    assert (too_much.status_code, too_much.data["code"]) == (400, "insufficient_funds")
    assert (pot(group), wallet(member)) == (Decimal("30.00"), Decimal("170.00"))
    assert run_all() == []


def test_rotation_order_and_payout(as_admin, group, admin, member, contribute):
    contribute(group, member, "25.00")

    ordered = as_admin.post(url(group, "rotation"), {"order": [member.pk, admin.pk]})
    assert ordered.status_code == 200, ordered.data
    assert [(m["user"]["id"], m["payout_position"]) for m in ordered.data] == [(member.pk, 1), (admin.pk, 2)]
    bad = as_admin.post(url(group, "rotation"), {"order": [member.pk]})
    assert (bad.status_code, bad.data["code"]) == (400, "invalid_rotation_order")

    paid = as_admin.post(url(group, "rotation_payout"), {})
    assert paid.status_code == 201, paid.data
    assert (paid.data["receiver"], paid.data["amount"]) == (member.pk, "25.00")
    empty = as_admin.post(url(group, "rotation_payout"), {})
    assert (empty.status_code, empty.data["code"]) == (400, "pot_empty")
    rows = {m["user"]["id"]: m["received_this_cycle"] for m in as_admin.get(url(group, "members")).data["results"]}
    assert rows == {member.pk: True, admin.pk: False}


def test_close_refunds_and_answers_with_the_refunds(as_admin, group, admin, member, contribute):
    contribute(group, member, "30.00")
    contribute(group, admin, "10.00")

    response = as_admin.post(url(group, "close"))

    assert response.status_code == 200, response.data
    assert (response.data["group"]["is_active"], response.data["group"]["current_amount"]) == (False, "0.00")
    assert {(r["receiver"], r["amount"], r["transaction_type"]) for r in response.data["refunds"]} == {
        (member.pk, "30.00", "REFUND"),
        (admin.pk, "10.00", "REFUND"),
    }
    assert (wallet(member), wallet(admin)) == (Decimal("200.00"), Decimal("500.00"))
    again = as_admin.post(url(group, "close"))
    assert (again.status_code, again.data["code"]) == (400, "group_closed")
    assert run_all() == []


def test_unauthenticated_requests_are_refused(client_for, group):
    assert client_for().get(BASE).status_code == 401
    assert client_for().post(url(group, "contribute"), {"amount": "1.00"}).status_code == 401
