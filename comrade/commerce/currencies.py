"""Currency codes a price may name: ISO 4217, and only the deployment's own.

The ledger keeps one currency per deployment (settings.DEFAULT_CURRENCY) and converts nothing, so
a price in any other currency would be charged as the same number of the deployment's currency
(a 50 JPY item taking 50.00 USD). A price must also be a whole number of the currency's minor unit
(no cents on a JPY price). No currency library is installed, so the active ISO 4217 codes and
their minor units live here; funds, precious metals and test codes (XAU, XDR, XTS, XXX...) are
left out because nothing is sold in them.
"""

from decimal import Decimal

from comrade.core.errors import field_error
from comrade.ledger.models import default_currency

_TWO_PLACES = """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN
BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP
LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR
NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR
ZMW ZWG"""

ISO_4217_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI"), 0),
    **dict.fromkeys(("VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
    **dict.fromkeys(_TWO_PLACES.split(), 2),
}


def is_iso_4217(code: str) -> bool:
    return code in ISO_4217_MINOR_UNITS


def deployment_currency(code: str, *, field: str = "currency") -> str:
    """`code` in upper case when it is the deployment's currency; otherwise a 400 that names
    `field`: `invalid_currency` for a code that is not ISO 4217, `unsupported_currency` for
    any other real currency."""
    normalized = str(code).strip().upper()
    if not (len(normalized) == 3 and normalized.isascii() and is_iso_4217(normalized)):
        raise field_error(field, f"{code!r} is not an ISO 4217 currency code.", code="invalid_currency")
    accepted = default_currency()
    if normalized != accepted:
        raise field_error(
            field, f"Prices here are in {accepted}; {normalized} is not accepted.", code="unsupported_currency"
        )
    return normalized


def check_price_fits(price: Decimal, *, currency: str | None = None, field: str = "price") -> None:
    """A price finer than the currency's minor unit (10.50 in JPY) cannot be charged exactly."""
    code = currency or default_currency()
    places = ISO_4217_MINOR_UNITS.get(code, 2)
    if Decimal(price) != Decimal(price).quantize(Decimal(1).scaleb(-places)):
        raise field_error(
            field, f"A {code} price can have at most {places} decimal places.", code="invalid_price_precision"
        )
