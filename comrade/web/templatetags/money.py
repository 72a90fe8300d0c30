"""One way to show an amount: "KES 1,250.00", with the ISO code, two decimals, thousands
separators for display only, and a real minus sign (U+2212) for negatives."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.conf import settings

register = template.Library()
CENTS = Decimal("0.01")


@register.filter
def money(amount, currency: str = "") -> str:
    if amount is None or amount == "":
        return ""
    value = Decimal(str(amount)).quantize(CENTS, rounding=ROUND_HALF_UP)
    sign = "\u2212" if value < 0 else ""
    return f"{currency or settings.DEFAULT_CURRENCY} {sign}{abs(value):,.2f}"
