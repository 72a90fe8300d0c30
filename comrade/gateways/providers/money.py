"""Converting Decimal amounts to what providers put on the wire.

Stripe wants integers in the currency's smallest unit; PayPal wants a decimal string with exactly
the currency's number of decimals. An amount that does not fit the currency exactly (10.005 USD,
100.5 JPY) is refused rather than rounded, so the provider never charges a different amount from
the one the ledger records.
"""

from decimal import Decimal

from comrade.gateways.providers.base import GatewayError

ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def to_minor(amount: Decimal, currency: str) -> int:
    """10.50 USD -> 1050; refuses non-positive amounts and amounts finer than the currency allows."""
    scaled = Decimal(amount).scaleb(exponent(currency))
    if scaled != scaled.to_integral_value() or scaled <= 0:
        raise GatewayError(f"{amount} is not a valid {currency.upper()} amount", retryable=False, code="invalid_amount")
    return int(scaled)


def from_minor(value: int, currency: str) -> Decimal:
    return Decimal(int(value)).scaleb(-exponent(currency))


def major_string(amount: Decimal, currency: str) -> str:
    """10.5 USD -> "10.50"; 1000 JPY -> "1000"."""
    return str(from_minor(to_minor(amount, currency), currency))


def parse_decimal(value) -> Decimal | None:
    """A provider's amount field (string, int or JSON float) as a finite Decimal, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None
