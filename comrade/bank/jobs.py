"""Job `import_bank_statements`: read the statement files dropped into BANK_STATEMENT_INBOX.

Each file is claimed by renaming it into `processing/` (a rename is atomic, so two schedulers
never read the same file), imported, then moved to `done/`, or to `failed/` beside a
`<name>.error.txt` that says why. A file is read once; re-importing it means copying it back into
the inbox, and its entries already stored are then skipped as duplicates. Hidden files and
`*.part`/`*.tmp` files (still being written) are left alone."""

import logging
from datetime import datetime
from pathlib import Path

from django.conf import settings

from comrade.bank.services.statements import statement_file_import, statement_size_check
from comrade.core.errors import ApplicationError

logger = logging.getLogger(__name__)
INCOMPLETE = (".part", ".tmp", ".partial")


def statements_inbox_import(now: datetime) -> int:
    if not settings.BANK_STATEMENT_INBOX:
        return 0
    inbox = Path(settings.BANK_STATEMENT_INBOX)
    if not inbox.is_dir():
        logger.warning("BANK_STATEMENT_INBOX %s is not a folder", inbox)
        return 0
    handled = 0
    for path in sorted(inbox.iterdir()):
        if path.is_file() and not path.name.startswith(".") and not path.name.endswith(INCOMPLETE):
            handled += _import_one(inbox, path, now)
    return handled


def _import_one(inbox: Path, path: Path, now: datetime) -> int:
    name = f"{now:%Y%m%dT%H%M%S}-{path.name}"
    claimed = _folder(inbox, "processing") / name
    try:
        path.rename(claimed)
    except FileNotFoundError:
        return 0  # another scheduler claimed it first
    try:
        statement_size_check(size=claimed.stat().st_size)
        result = statement_file_import(data=claimed.read_bytes(), filename=path.name, imported_by=None, source="inbox")
    except ApplicationError as exc:
        _fail(inbox, claimed, f"{exc.code}: {exc.message}")
        return 1
    except Exception as exc:  # a bug: keep the file and why, do not stop the other files
        logger.exception("bank statement %s could not be imported", path.name)
        _fail(inbox, claimed, f"internal_error: {type(exc).__name__}: {exc}")
        return 1
    claimed.rename(_folder(inbox, "done") / name)
    logger.info("bank statement %s imported: %s", path.name, result)
    return 1


def _fail(inbox: Path, claimed: Path, error: str) -> None:
    failed = _folder(inbox, "failed") / claimed.name
    claimed.rename(failed)
    failed.with_name(failed.name + ".error.txt").write_text(error + "\n")


def _folder(inbox: Path, name: str) -> Path:
    folder = inbox / name
    folder.mkdir(exist_ok=True)
    return folder
