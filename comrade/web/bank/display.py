"""How bank accounts are shown to people: an IBAN in groups of four, or masked but for its last
four characters (a saved account, a payout's destination)."""

from dataclasses import dataclass

from comrade.bank.services.accounts import destination_decode


def iban_grouped(iban: str) -> str:
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def iban_masked(iban: str) -> str:
    """Only the last four ("•••• 3000"): enough to tell accounts apart, not enough to copy."""
    compact = "".join(iban.split()).upper()
    return f"•••• {compact[-4:]}"


@dataclass(frozen=True)
class ShownAccount:
    holder_name: str
    iban_masked: str
    bic: str


def shown_destination(destination: str) -> ShownAccount | None:
    """A bank payout's destination (the snapshot `destination_encode` wrote), masked."""
    try:
        iban, bic, name = destination_decode(destination)
    except ValueError:
        return None
    return ShownAccount(holder_name=name, iban_masked=iban_masked(iban), bic=bic)
