from decimal import Decimal

import pytest

from comrade.web.fields import AmountField
from comrade.web.wallet.forms import ExternalForm

MPESA = [
    {"name": "sandbox", "display_name": "Sandbox", "supports": ["deposit"]},
    {"name": "mpesa", "display_name": "M-Pesa", "supports": ["deposit"]},
]


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("1,250", "1250.00"), ("1250.5", "1250.50"), (" 12.50 ", "12.50"), ("1,000,000", "1000000.00"), ("7.", "7.00")],
)
def test_amounts_as_people_type_them(typed, amount):
    assert AmountField().clean(typed) == Decimal(amount)


@pytest.mark.parametrize(
    "typed", ["1.005", "-1", "\u22121", "0", "1,2,3", "12,50", "1e2", "Infinity", "0x10", "1" * 40]
)
def test_amounts_that_are_refused(typed):
    from django import forms

    with pytest.raises(forms.ValidationError):
        AmountField().clean(typed)


def test_the_phone_field_exists_only_when_m_pesa_is_enabled():
    without = ExternalForm(providers=MPESA[:1], withdrawal=False)
    assert "phone_number" not in without.fields
    assert "phone_number" in ExternalForm(providers=MPESA, withdrawal=False).fields


def test_m_pesa_needs_a_phone_number_and_the_others_do_not():
    form = ExternalForm({"provider": "mpesa", "amount": "100"}, providers=MPESA, withdrawal=False)
    assert not form.is_valid() and "phone_number" in form.errors
    assert ExternalForm({"provider": "sandbox", "amount": "100"}, providers=MPESA, withdrawal=False).is_valid()
    bad = ExternalForm({"provider": "mpesa", "amount": "100", "phone_number": "07x"}, providers=MPESA, withdrawal=False)
    assert not bad.is_valid() and "phone_number" in bad.errors
    good = ExternalForm(
        {"provider": "mpesa", "amount": "100", "phone_number": "+254 712 345678"}, providers=MPESA, withdrawal=False
    )
    assert good.is_valid() and good.cleaned_data["phone_number"] == "254712345678"
