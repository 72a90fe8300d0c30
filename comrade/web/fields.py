"""Form fields for what people type: amounts ("1,250", "1250.5") and whole quantities. Anything
else is refused next to the field, never a 500. Every money form uses these."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings

from comrade.core.money import CENT

# Digits with optional thousands separators ("1,250" or "1250"), then an optional decimal part.
AMOUNT_PATTERN = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d*)?$", re.ASCII)  # ASCII digits only


class AmountField(forms.Field):
    """An amount as people type it ("1,250", "1250.5", "12.50") into a text input with
    inputmode="decimal"; cleaned to a Decimal with two places, > 0, at most MAX_TRANSACTION_AMOUNT."""

    widget = forms.TextInput
    MAX_CHARS = 32

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "For example 1,250.00")
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}

    def to_python(self, value):
        text = str(value if value is not None else "").strip().replace(" ", "")
        if text in self.empty_values:
            return None
        if len(text) > self.MAX_CHARS:
            raise forms.ValidationError("Enter an amount in numbers, for example 1,250.50.", code="invalid")
        if text.startswith("-") or text.startswith("\u2212"):
            raise forms.ValidationError("Enter an amount greater than zero.", code="min_value")
        if not AMOUNT_PATTERN.match(text):
            raise forms.ValidationError("Enter an amount in numbers, for example 1,250.50.", code="invalid")
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation as exc:
            raise forms.ValidationError("Enter an amount in numbers, for example 1,250.50.", code="invalid") from exc
        if amount != amount.quantize(CENT):
            raise forms.ValidationError("Use at most two decimals (cents).", code="max_decimal_places")
        return amount.quantize(CENT)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value < CENT:
            raise forms.ValidationError("Enter an amount greater than zero.", code="min_value")
        most = settings.MAX_TRANSACTION_AMOUNT
        if value > most:
            raise forms.ValidationError(f"The most you can move at once is {most:,.2f}.", code="max_value")


class QuantityField(forms.IntegerField):
    """A whole number typed as text (`inputmode="numeric"`); "1.5", "-2", "1e3" are refused."""

    def __init__(self, **kwargs):
        super().__init__(widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}), **kwargs)

    def to_python(self, value):
        text = str(value).strip() if value is not None else ""
        if text and not (text.isascii() and text.isdigit()):
            raise forms.ValidationError("Enter a whole number such as 1 or 2.", code="invalid")
        return super().to_python(text)
