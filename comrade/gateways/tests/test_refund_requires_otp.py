"""Staff refunds return money, so a staff password alone is not enough: the caller must have
passed a one-time password (comrade.accounts.permissions.StaffOTPVerified)."""

from decimal import Decimal

from rest_framework.test import APIClient

from comrade.accounts.tests.otp import current_code, device_of
from comrade.gateways.tests.conftest import event_data
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of


def settled_deposit(deposit, sandbox_webhook) -> dict:
    txn = deposit("40.00").data
    assert sandbox_webhook("payment.succeeded", event_data(txn)).status_code == 200
    return txn


def test_refund_refuses_staff_without_otp_and_moves_nothing(user, deposit, sandbox_webhook, make_user, client_for):
    txn = settled_deposit(deposit, sandbox_webhook)
    staff = make_user(is_staff=True)
    device_of(staff)
    response = client_for(staff).post(f"/payments/transactions/{txn['id']}/refund/", {"amount": "15.00"})
    assert response.status_code == 403 and response.json()["code"] == "otp_required"
    assert balance_of(user) == Decimal("140.00")
    assert not TransactionToken.objects.filter(transaction_type="REFUND").exists()


def test_refund_works_for_staff_with_a_token_issued_with_otp(user, deposit, sandbox_webhook, make_user):
    txn = settled_deposit(deposit, sandbox_webhook)
    staff = make_user(is_staff=True, password="staff-Pass-123")
    body = {"email": staff.email, "password": "staff-Pass-123", "otp_token": current_code(device_of(staff))}
    tokens = APIClient().post("/api/auth/token/", body).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = client.post(f"/payments/transactions/{txn['id']}/refund/", {"amount": "15.00"})
    assert response.status_code == 201 and response.data["transaction_type"] == "REFUND"
    assert balance_of(user) == Decimal("125.00")
