from django.core.management.base import BaseCommand, CommandError

from comrade.ledger.checks import run_all


class Command(BaseCommand):
    help = "Check every cached balance and total against the ledger entries, and every journal against zero."

    def handle(self, *args, **options):
        problems = run_all()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"ledger verification failed: {len(problems)} problem(s)")
        self.stdout.write(self.style.SUCCESS("ledger OK: all balances, totals and journals agree"))
