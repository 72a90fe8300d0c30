from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from comrade.ledger.services import wallet_fund


class Command(BaseCommand):
    help = "Fund a user's wallet from the platform funding account, through the ledger."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("amount")

    def handle(self, *args, email: str, amount: str, **options):
        try:
            value = Decimal(amount)
        except InvalidOperation as exc:
            raise CommandError(f"not an amount: {amount}") from exc
        if value <= 0 or value != value.quantize(Decimal("0.01")):
            raise CommandError("amount must be > 0 with at most two decimals")
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"no user with email {email}")
        txn = wallet_fund(user=user, amount=value, description="Funded from the command line")
        self.stdout.write(f"{txn.token} {txn.status}: {email} +{value}, balance {user.payment_profile.account.balance}")
