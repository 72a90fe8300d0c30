from datetime import date
from decimal import Decimal

import pytest
import xmlschema

from comrade.bank.formats import builders
from comrade.bank.formats.camt import read_camt
from comrade.bank.formats.statement import Direction
from comrade.bank.tests.incoming import FILES, OTHER_IBAN, configure, line, sample_file, statement
from comrade.core.errors import ApplicationError

XSD = FILES / "xsd"


@pytest.fixture(autouse=True)
def bank(settings):
    configure(settings)


def refused(data: bytes) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        read_camt(data)
    assert caught.value.message
    return caught.value


def test_reads_a_camt053_v08_statement_with_structured_and_unstructured_references():
    result = read_camt(sample_file("camt053_v08.xml"))
    assert (result.kind, result.message_id, result.account_iban, result.currency) == (
        "camt.053",
        "053D2026120106000000123",
        "DE89370400440532013000",
        "EUR",
    )
    first, second, third, debit = result.lines  # the PDNG entry is not read
    assert first == line(
        "2026113000001",
        "150.00",
        booking_date=date(2026, 11, 30),
        value_date=date(2026, 11, 30),
        remittance="RF40000001001",
        counterparty_name="Erika Mustermann",
        counterparty_iban="DE02120300000000202051",
    )
    assert second.remittance == "Aufladung Wallet rf13 0000 0100 2 danke"
    assert second.end_to_end_id == "INV-2026-0042"
    assert third.remittance == "Geburtstagsgeschenk" and third.end_to_end_id == ""
    assert debit.direction == Direction.DEBIT and debit.end_to_end_id == "TXN-4b1f0d7e-payout-0001"
    assert debit.counterparty_name == "Max Mustermann" and not debit.is_return


def test_reads_a_camt053_v02_statement_with_a_return():
    result = read_camt(sample_file("camt053_v02.xml"))
    credit, returned = result.lines
    assert credit.entry_reference == "COBA2026120100011"  # no NtryRef: the servicer's reference
    assert credit.counterparty_name == "ERIKA MUSTERMANN" and credit.remittance == "RF40 0000 0100 1"
    assert returned.is_return and returned.return_reason == "AC04"
    assert returned.direction == Direction.CREDIT and returned.end_to_end_id == "TXN-4b1f0d7e-payout-0001"


def test_reads_camt054_notifications_and_splits_a_batch_entry():
    batch = read_camt(sample_file("camt054_v08.xml"))
    assert batch.kind == "camt.054"
    assert [(x.entry_reference, x.amount, x.remittance) for x in batch.lines] == [
        ("2026120100031/1", Decimal("200.00"), "RF40000001001"),
        ("2026120100031/2", Decimal("100.00"), "RF13000001002"),
    ]
    assert batch.lines[0].booking_date == date(2026, 12, 1)  # from a DtTm
    (single,) = read_camt(sample_file("camt054_v02.xml")).lines
    assert single.entry_reference == "2026120100044" and single.remittance == "top up RF13000001002"


def test_the_sample_v08_files_and_our_builders_are_valid_against_the_iso_schemas():
    camt053 = xmlschema.XMLSchema(XSD / "camt.053.001.08.xsd")
    camt054 = xmlschema.XMLSchema(XSD / "camt.054.001.08.xsd")
    camt053.validate((FILES / "camt053_v08.xml").read_text())
    camt054.validate((FILES / "camt054_v08.xml").read_text())
    built = statement(
        line("A1", "12.30", remittance="RF40000001001", counterparty_name="Erika", counterparty_iban=OTHER_IBAN),
        line("A2", "5.00", direction=Direction.DEBIT, end_to_end_id="TXN-1", counterparty_name="Max"),
        line("A3", "5.00", end_to_end_id="TXN-1", is_return=True, return_reason="AC04", remittance="returned"),
    )
    camt053.validate(builders.camt053(built).decode())
    camt054.validate(builders.camt054(built).decode())


def test_builders_round_trip_through_the_reader():
    lines = (
        line("A1", "12.30", value_date=date(2026, 12, 1), remittance="RF40000001001", counterparty_iban=OTHER_IBAN),
        line("A2", "5.00", value_date=date(2026, 12, 1), direction=Direction.DEBIT, end_to_end_id="TXN-1"),
        line("A3", "5.00", value_date=date(2026, 12, 1), is_return=True, return_reason="AC04", end_to_end_id="TXN-1"),
    )
    assert read_camt(builders.camt053(statement(*lines))).lines == lines
    assert read_camt(builders.camt054(statement(*lines))).lines == lines


def test_malformed_xml_is_refused():
    assert refused(b"<Document><BkToCstmrStmt>").code == "malformed_xml"


def test_an_unknown_namespace_or_version_is_refused():
    data = sample_file("camt053_v08.xml")
    assert refused(data.replace(b"camt.053.001.08", b"camt.053.001.99")).code == "unknown_version"
    assert refused(data.replace(b"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08", b"urn:x")).code == "unknown_format"
    assert refused(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>').code == "unknown_format"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr>
<MsgId>&lol4;</MsgId></GrpHdr></BkToCstmrStmt></Document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr>
<MsgId>&secret;</MsgId></GrpHdr></BkToCstmrStmt></Document>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_xml_bombs_and_external_entities_are_refused(data):
    error = refused(data)
    assert error.code == "unsafe_xml" and "DTD" in error.message


def test_a_statement_for_another_account_is_refused():
    data = sample_file("camt053_v08.xml").replace(b"DE89370400440532013000", OTHER_IBAN.encode())
    error = refused(data)
    assert error.code == "wrong_account" and OTHER_IBAN in error.message


def test_a_statement_without_an_account_is_refused():
    data = sample_file("camt054_v02.xml").replace(b"<IBAN>DE89370400440532013000</IBAN>", b"<Othr><Id>1</Id></Othr>")
    assert refused(data).code == "missing_account"


def test_another_currency_than_the_deployments_is_refused():
    data = sample_file("camt053_v08.xml").replace(b'Ccy="EUR"', b'Ccy="USD"').replace(b"<Ccy>EUR", b"<Ccy>USD")
    error = refused(data)
    assert error.code == "wrong_currency" and "USD" in error.message and "EUR" in error.message


def test_an_amount_finer_than_the_currency_is_refused():
    data = sample_file("camt053_v08.xml").replace(b">42.25<", b">42.255<")
    error = refused(data)
    assert error.code == "invalid_amount" and "42.255" in error.message


def test_a_batch_whose_parts_do_not_add_up_is_refused():
    data = sample_file("camt054_v08.xml").replace(b'<Amt Ccy="EUR">100.00</Amt>', b'<Amt Ccy="EUR">99.00</Amt>')
    assert refused(data).code == "invalid_file"


def test_an_entry_without_an_amount_or_currency_is_refused():
    data = sample_file("camt054_v02.xml")
    assert refused(data.replace(b'<Amt Ccy="EUR">60.00</Amt>', b"<Amt>60.00</Amt>")).code == "invalid_file"
    assert refused(data.replace(b'<Amt Ccy="EUR">60.00</Amt>', b"")).code == "invalid_file"


def test_an_entry_without_any_reference_is_refused():
    data = sample_file("camt054_v02.xml").replace(b"<NtryRef>2026120100044</NtryRef>", b"")
    assert refused(data).code == "missing_reference"
