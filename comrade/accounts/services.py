from django.db import transaction

from comrade.accounts.models import User
from comrade.ledger.services import wallet_open


@transaction.atomic
def user_create(*, email: str, password: str | None, first_name: str = "", last_name: str = "", **extra) -> User:
    user = User(email=User.objects.normalize_email(email).lower(), first_name=first_name, last_name=last_name, **extra)
    user.set_password(password)
    user.save()
    wallet_open(user=user)
    return user
