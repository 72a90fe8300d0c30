from decimal import Decimal

import pytest

from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db


def test_my_profile_shape(api, user):
    response = api.get("/payments/payment-profiles/my_profile/")
    assert response.status_code == 200
    data = response.data
    assert data["comrade_balance"] == "100.00"
    assert data["total_sent"] == "0.00" and data["total_received"] == "100.00"
    assert data["user"]["email"] == user.email
    assert data["payment_methods"] == [] and data["default_payment_method"] == ""


def test_balance(api):
    assert api.get("/payments/payment-profiles/balance/").json() == {"balance": "100.00"}


def test_profile_list_is_staff_only_and_others_profiles_are_404(api, user, make_user, client_for):
    other = make_user()
    forbidden = api.get("/payments/payment-profiles/")
    assert forbidden.status_code == 403 and forbidden.data["code"] == "staff_only"
    assert api.get(f"/payments/payment-profiles/{other.payment_profile.pk}/").status_code == 404
    assert api.get(f"/payments/payment-profiles/{user.payment_profile.pk}/").status_code == 200
    staff = client_for(make_user(is_staff=True))
    listing = staff.get("/payments/payment-profiles/")
    assert listing.status_code == 200 and listing.data["count"] == 3
    assert staff.get(f"/payments/payment-profiles/{other.payment_profile.pk}/").status_code == 200


def test_fund_endpoint_is_staff_only(api, user, staff_with_otp, client_for):
    url = f"/payments/payment-profiles/{user.payment_profile.pk}/fund/"
    assert api.post(url, {"amount": "50.00"}).status_code == 403
    assert balance_of(user) == Decimal("100.00")
    staff = client_for(staff_with_otp(), otp=True)
    response = staff.post(url, {"amount": "50.00"})
    assert response.status_code == 201 and response.data["transaction_type"] == "FUNDING"
    assert balance_of(user) == Decimal("150.00")
    bad = staff.post(url, {"amount": "-5"})
    assert bad.status_code == 400 and "amount" in bad.data["fields"]
    assert balance_of(user) == Decimal("150.00")


def test_balances_cannot_be_mass_assigned(api, user):
    for method in (api.put, api.patch):
        response = method(f"/payments/payment-profiles/{user.payment_profile.pk}/", {"comrade_balance": "1000000"})
        assert response.status_code == 405
    assert balance_of(user) == Decimal("100.00")
