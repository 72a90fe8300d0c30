"""Each wallet's ISO 11649 "RF" creditor reference, the one a customer quotes on a bank transfer.

It is derived from the wallet (payment profile) id, so it never changes and needs no column:
"RF" + two check digits + the id as 9 digits (RF18 0000 0004 2 style, printed in groups of four).
The check digits (ISO 7064 mod 97-10) catch a mistyped digit and most swapped digits, so a typo
lands in the exceptions queue instead of in someone else's wallet.

Finding a reference tolerates what people type: spaces, lower case, and text around it in the
unstructured remittance ("Top up rf18 0000 0004 2, thanks")."""

import re

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from comrade.ledger.models import PaymentProfile

BODY_DIGITS = 9
REFERENCE = re.compile(rf"R\s*F\s*(\d\s*\d(?:\s*\d){{{BODY_DIGITS}}})(?!\d)", re.IGNORECASE)


def wallet_reference(profile: PaymentProfile) -> str:
    """The wallet's reference, compact ("RF180000000042"); `formatted()` groups it for people."""
    body = f"{profile.pk:0{BODY_DIGITS}d}"
    if len(body) != BODY_DIGITS:
        raise ValueError(f"wallet id {profile.pk} does not fit a {BODY_DIGITS}-digit reference")
    check = mod_97_10.calc_check_digits("".join(str(int(c, 36)) for c in body + "RF"))
    return iso11649.validate(f"RF{check}{body}")


def formatted(reference: str) -> str:
    return iso11649.format(reference)


def references_in(text: str) -> set[str]:
    """The valid wallet references in `text` (compact, upper case). A structured reference is the
    whole text; unstructured text may hold one among other words."""
    found = set()
    compact = iso11649.compact(text) if text else ""
    if _is_wallet_reference(compact):
        found.add(compact)
    for match in REFERENCE.finditer(text or ""):
        candidate = "RF" + re.sub(r"\s", "", match.group(1))
        if _is_wallet_reference(candidate):
            found.add(candidate)
    return found


def _is_wallet_reference(reference: str) -> bool:
    return len(reference) == 4 + BODY_DIGITS and reference[4:].isdigit() and iso11649.is_valid(reference)


def profile_id(reference: str) -> int:
    return int(reference[4:])
