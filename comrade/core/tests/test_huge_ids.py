"""Ids beyond the 64-bit key range are 400s in bodies and 404s in URLs, never 500s (SQLite raised
OverflowError, PostgreSQL NumericValueOutOfRange). Runs on both databases."""

from decimal import Decimal

import pytest

from comrade.commerce.tests.factories import ProductFactory
from comrade.core.fields import MAX_ID
from comrade.groups.models import GroupMembers
from comrade.groups.tests.factories import PaymentGroupFactory
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db
HUGE = 10**30


@pytest.fixture
def group(make_user):
    admin = make_user(balance="100.00")
    return PaymentGroupFactory(admin=admin)


@pytest.mark.parametrize(
    "action, body",
    [
        ("remove_member", {"user_id": HUGE}),
        ("set_role", {"user_id": HUGE, "role": "ADMIN"}),
        ("payout", {"user_id": HUGE, "amount": "1.00"}),
        ("rotation", {"order": [HUGE]}),
        ("contribute", {"target": HUGE, "amount": "1.00"}),
        ("payout", {"user_id": MAX_ID + 1, "amount": "1.00"}),
        ("payout", {"user_id": -HUGE, "amount": "1.00"}),
    ],
)
def test_a_huge_user_id_in_a_body_is_a_400_and_changes_nothing(client_for, group, action, body):
    members, pot = list(GroupMembers.objects.values_list("user_id", "role")), group.pot.balance
    response = client_for(group.admin).post(f"/payments/payment-groups/{group.pk}/{action}/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error" and list(response.json()["fields"]) == [next(iter(body))]
    assert list(GroupMembers.objects.values_list("user_id", "role")) == members
    group.pot.refresh_from_db()
    assert group.pot.balance == pot and balance_of(group.admin) == Decimal("100.00")


def test_the_largest_64_bit_id_is_accepted_and_simply_not_found(client_for, group):
    response = client_for(group.admin).post(
        f"/payments/payment-groups/{group.pk}/remove_member/", {"user_id": MAX_ID}, format="json"
    )
    assert response.status_code in (400, 404) and response.json()["code"] != "validation_error"


@pytest.mark.parametrize(
    "url, body",
    [
        ("/payments/targets/", {"group": HUGE, "name": "x", "target_amount": "1.00"}),
        (
            "/payments/transactions/create_transaction/",
            {"receiver_id": HUGE, "amount": "1.00", "payment_method": "INTERNAL"},
        ),
        (
            "/payments/standing-orders/",
            {"recipient": HUGE, "amount": "1.00", "frequency": "WEEKLY", "start_date": "2030-01-01"},
        ),
        (
            "/payments/standing-orders/",
            {"group": HUGE, "amount": "1.00", "frequency": "WEEKLY", "start_date": "2030-01-01"},
        ),
    ],
)
def test_other_id_fields_in_bodies_are_4xx(api, url, body):
    response = api.post(url, body, format="json")
    assert 400 <= response.status_code < 500, response.content
    assert not TransactionToken.objects.exclude(transaction_type="FUNDING").exists()


def test_a_huge_group_id_in_a_purchase_is_a_4xx(api):
    product = ProductFactory()
    response = api.post(f"/payments/products/{product.pk}/purchase/", {"group_id": HUGE}, format="json")
    assert 400 <= response.status_code < 500, response.content


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/payments/payment-groups/{}/"),
        ("post", "/payments/payment-groups/{}/contribute/"),
        ("get", "/payments/transactions/{}/"),
        ("get", "/payments/standing-orders/{}/"),
        ("post", "/payments/standing-orders/{}/pause/"),
        ("get", "/payments/products/{}/"),
        ("post", "/payments/products/{}/purchase/"),
        ("get", "/payments/targets/{}/"),
        ("get", "/payments/invitations/{}/"),
    ],
)
def test_a_huge_id_in_a_url_is_a_404(api, method, path):
    response = getattr(api, method)(path.format(HUGE), {}, format="json")
    assert response.status_code == 404, response.content
