"""Demo data for `make run`: idempotent, and money only ever through the ledger services.

Each app may ship a `demo.py` with `seed(users: dict[str, User]) -> None`; this command calls
them in INSTALLED_APPS order after creating the demo users."""

import importlib
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from comrade.accounts.services import user_create, user_email_mark_verified
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import wallet_fund

PASSWORD = "comrade-demo-1"
DEMO_USERS = [
    # key, email, first, last, opening balance, staff
    ("admin", "admin@comrade.local", "Ada", "Admin", Decimal("0"), True),
    ("alice", "alice@comrade.local", "Alice", "Wanjiru", Decimal("500.00"), False),
    ("bob", "bob@comrade.local", "Bob", "Otieno", Decimal("250.00"), False),
    ("carol", "carol@comrade.local", "Carol", "Achieng", Decimal("120.00"), False),
]


class Command(BaseCommand):
    help = "Create the demo users and data (safe to run again)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates users with a published password and free money: it runs only in "
                "development mode (DJANGO_DEBUG=true)."
            )
        users = {row[0]: self._user(*row[1:]) for row in DEMO_USERS}
        for config in apps.get_app_configs():
            if config.name.startswith("comrade."):
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError:
                    continue
                module.seed(users)
        self.stdout.write(f"Demo logins (password for all: {PASSWORD}):")
        for key, email, *_ in DEMO_USERS:
            balance = balance_of(users[key])
            self.stdout.write(f"  {email:<24} balance {balance}{'  (staff, /admin/)' if key == 'admin' else ''}")

    def _user(self, email, first, last, opening, staff):
        User = get_user_model()
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(
                email=email,
                password=PASSWORD,
                first_name=first,
                last_name=last,
                is_staff=staff,
                is_superuser=staff,
                email_verified_at=timezone.now(),  # demo addresses have no inbox to verify
            )
            if opening:
                wallet_fund(user=user, amount=opening, description="Demo opening balance")
        user_email_mark_verified(user=user)  # demo users made before verification existed
        return User.objects.select_related("payment_profile__account").get(pk=user.pk)
