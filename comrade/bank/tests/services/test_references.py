import pytest
from stdnum import iso11649

from comrade.bank.services.references import formatted, profile_id, references_in, wallet_reference
from comrade.ledger.models import PaymentProfile


def ref(pk: int) -> str:
    return wallet_reference(PaymentProfile(pk=pk))


def test_each_wallet_has_a_stable_valid_rf_reference():
    assert ref(42) == ref(42) == "RF34000000042"
    assert iso11649.is_valid(ref(42)) and ref(43) != ref(42)
    assert profile_id(ref(123456789)) == 123456789


@pytest.mark.parametrize(
    "text",
    [
        "RF34000000042",
        "rf34000000042",
        "RF34 0000 0004 2",
        "Top up rf34 0000 0004 2, thanks 2026",
        "SVWZ+RF34000000042",
    ],
)
def test_a_reference_is_found_in_what_people_type(text):
    assert references_in(text) == {"RF34000000042"}


@pytest.mark.parametrize(
    "text",
    ["", "RF35000000042", "RF34 0000 0004 3", "RF3400000004299", "invoice 34000000042", "RF18539007547034"],
    ids=["empty", "bad-check", "typo", "longer-number", "no-rf", "other-rf-reference"],
)
def test_mistyped_or_foreign_references_match_nothing(text):
    assert references_in(text) == set()


def test_two_references_are_both_reported():
    assert references_in(f"{formatted(ref(1))} or {ref(2)}") == {ref(1), ref(2)}
