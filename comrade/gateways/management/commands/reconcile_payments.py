from django.core.management.base import BaseCommand
from django.utils import timezone

from comrade.gateways.selectors import open_payments
from comrade.gateways.services import reconcile_run


class Command(BaseCommand):
    help = "Ask the providers about every open payment that is due and settle what they answer."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help="at most this many payments in this run")

    def handle(self, *args, limit: int, **options):
        now = timezone.now()
        run = reconcile_run(now=now, limit=limit)
        still_open = open_payments(now=now).count()
        flagged = open_payments(now=now, flagged_only=True).count()
        self.stdout.write(
            f"asked {run.checked}, settled {run.settled}, parked events applied {run.parked_applied}; "
            f"still open {still_open}, flagged {flagged}"
        )
