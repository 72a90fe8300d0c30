"""Form fields for amounts and counts typed by people: "1,250" and "1250.5" are accepted and
normalised; anything else is refused next to the field (never a 500)."""

import re
from decimal import Decimal

from django import forms
from django.conf import settings

from comrade.core.money import CENT

# ASCII digits only: Decimal() would also read "1_000", "1e3", "NaN" and other scripts' digits.
PLAIN = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)", re.ASCII)


class MoneyField(forms.Field):
    """A positive amount with at most two decimals and at most MAX_TRANSACTION_AMOUNT, typed as
    text (`inputmode="decimal"`, not type=number); thousands separators are dropped."""

    widget = forms.TextInput
    MAX_CHARS = 30

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        text = str(value or "").strip().replace(",", "").replace(" ", "")
        if not text:
            return None
        if len(text) > self.MAX_CHARS or not PLAIN.fullmatch(text):
            raise forms.ValidationError("Enter an amount such as 25 or 1,250.50.", code="invalid")
        return Decimal(text)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value > settings.MAX_TRANSACTION_AMOUNT:
            raise forms.ValidationError(
                f"The most you can pay at once is {settings.MAX_TRANSACTION_AMOUNT:,.2f}.", code="max_value"
            )
        if value <= 0:
            raise forms.ValidationError("Enter an amount greater than zero.", code="min_value")
        if value != value.quantize(CENT):
            raise forms.ValidationError("Use at most two decimals (cents).", code="max_decimal_places")

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else amount.quantize(CENT)


class QuantityField(forms.IntegerField):
    """A whole number typed as text (`inputmode="numeric"`); "1.5", "-2", "1e3" are refused."""

    def __init__(self, **kwargs):
        super().__init__(widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}), **kwargs)

    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if text and not (text.isascii() and text.isdigit()):
            raise forms.ValidationError("Enter a whole number such as 1 or 2.", code="invalid")
        return super().to_python(text)
