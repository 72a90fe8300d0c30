"""The inbox job reads each dropped file once: done/ or failed/ with the reason beside it."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from comrade.bank.jobs import statements_inbox_import
from comrade.bank.models import BankEntry, BankStatement
from comrade.bank.tests.incoming import configure, sample_file
from comrade.core import jobs
from comrade.ledger.models import LedgerAccount

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


@pytest.fixture
def inbox(settings, tmp_path):
    configure(settings)
    settings.BANK_STATEMENT_INBOX = str(tmp_path)
    return tmp_path


def test_the_job_is_registered():
    assert jobs.get("import_bank_statements").run is statements_inbox_import


def test_each_file_is_imported_once_and_moved_to_done_or_failed(inbox, make_user):
    erika = make_user()
    (inbox / "good.xml").write_bytes(sample_file("camt053_v02.xml", {1001: erika}))
    (inbox / "bad.xml").write_bytes(b"<Document><BkToCstmrStmt>")
    (inbox / "still-uploading.xml.part").write_bytes(b"<")
    assert statements_inbox_import(NOW) == 2
    assert [p.name for p in (inbox / "done").iterdir()] == ["20261201T070000-good.xml"]
    failed = sorted(p.name for p in (inbox / "failed").iterdir())
    assert failed == ["20261201T070000-bad.xml", "20261201T070000-bad.xml.error.txt"]
    assert (inbox / "failed" / failed[1]).read_text().startswith("malformed_xml: ")
    assert (inbox / "still-uploading.xml.part").exists()
    assert LedgerAccount.objects.get(profile__user=erika).balance == Decimal("100.00")
    assert statements_inbox_import(NOW) == 0  # nothing left to read
    assert BankStatement.objects.get().source == "inbox"


def test_nothing_happens_without_an_inbox(settings):
    settings.BANK_STATEMENT_INBOX = ""
    assert statements_inbox_import(NOW) == 0


def test_the_command_imports_paths_and_reports_failures(inbox, capsys):
    good, bad = inbox / "a.sta", inbox / "b.xml"
    good.write_bytes(sample_file("statement.sta"))
    bad.write_bytes(b"")
    with pytest.raises(Exception, match="1 file"):
        call_command("import_bank_statements", str(good), str(bad))
    out = capsys.readouterr()
    assert "2 new" in out.out and "The file is empty." in out.err
    assert BankEntry.objects.count() == 2


def test_a_file_over_the_cap_fails_without_being_read(inbox, settings):
    settings.BANK_STATEMENT_MAX_BYTES = 100
    (inbox / "huge.xml").write_bytes(b"<" + b"x" * 200)
    assert statements_inbox_import(NOW) == 1
    error = (inbox / "failed" / "20261201T070000-huge.xml.error.txt").read_text()
    assert error.startswith("file_too_large: ") and BankStatement.objects.count() == 0
