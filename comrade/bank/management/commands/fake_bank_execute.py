"""Play the bank for a pain.001 file: write the camt.053 statement it would send back (and a
pain.002 when some transfers are rejected) into --out, for the statement import to read."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from comrade.bank import fakebank
from comrade.bank.formats.pain001 import Pain001Error


def _codes(values: list[str]) -> dict[str, str]:
    """END_TO_END_ID[:REASON] items, the reason AC04 (account closed) by default."""
    pairs = (value.partition(":") for value in values)
    return {e2e: reason or "AC04" for e2e, _, reason in pairs}


class Command(BaseCommand):
    help = "Execute a pain.001 file at the fake bank and write the resulting camt.053 (and pain.002)."

    def add_arguments(self, parser):
        parser.add_argument("pain001", type=Path)
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--return", dest="returns", action="append", default=[], metavar="E2E[:REASON]")
        parser.add_argument("--reject", dest="rejects", action="append", default=[], metavar="E2E[:REASON]")

    def handle(self, *args, pain001: Path, out: Path, returns, rejects, **options):
        from comrade.bank.formats.builders import camt053  # bank-in's writer (the incoming half)

        data = pain001.read_bytes()
        returned, rejected = _codes(returns), _codes(rejects)
        try:
            statement = fakebank.execute(data, returns=returned, rejects=rejected)
        except Pain001Error as exc:
            raise CommandError(f"{pain001}: {exc}") from exc
        out.mkdir(parents=True, exist_ok=True)
        target = out / f"{statement.message_id}.camt053.xml"
        target.write_bytes(camt053(statement))
        self.stdout.write(f"{target}: {len(statement.lines)} entries")
        if rejected:
            report = out / f"{statement.message_id}.pain002.xml"
            report.write_bytes(fakebank.status_report(data, rejects=rejected))
            self.stdout.write(f"{report}: {len(rejected)} rejected")
