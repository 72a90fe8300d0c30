"""The data every check starts from: a fresh, migrated `comrade_reliability` database with funded
users (loaded through the ledger with SQL) and payment groups whose admins are on the ENTERPRISE
tier, plus a JWT per user and the gunicorn server."""

import os
import random
from dataclasses import dataclass, field
from datetime import timedelta

from bench.infra import db
from bench.infra.load import Wallet
from bench.infra.server import Server, bearer_tokens
from config.env import env_bool, env_int

USER_PREFIX = "rel-"
USER_CENTS = 100_000  # 1,000.00 each


@dataclass(frozen=True)
class Settings:
    short: bool = field(default_factory=lambda: env_bool("RELIABILITY_SHORT", False))
    port: int = field(default_factory=lambda: env_int("RELIABILITY_PORT", 8775))
    workers: int = field(default_factory=lambda: env_int("RELIABILITY_WORKERS", 2 * (os.cpu_count() or 1) + 1))

    def pick(self, short: int, full: int, name: str) -> int:
        return env_int(name, short if self.short else full)

    @property
    def users(self) -> int:
        return self.pick(60, 300, "RELIABILITY_USERS")

    @property
    def groups(self) -> int:
        return self.pick(3, 6, "RELIABILITY_GROUPS")

    @property
    def clients(self) -> int:
        return self.pick(8, 16, "RELIABILITY_CLIENTS")

    @property
    def seconds(self) -> int:
        return self.pick(40, 150, "RELIABILITY_SECONDS")

    @property
    def kills(self) -> int:
        return self.pick(2, 4, "RELIABILITY_KILLS")

    @property
    def examples(self) -> int:
        return self.pick(5, 30, "RELIABILITY_EXAMPLES")


@dataclass(frozen=True)
class Group:
    id: int
    pot_account_id: int
    admin_id: int
    member_ids: tuple[int, ...]


@dataclass
class World:
    target: db.Target
    server: Server
    users: list[Wallet]
    tokens: dict[int, str]
    groups: list[Group]

    def headers(self, user_id: int, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user_id]}", **extra}


def build(settings: Settings) -> World:
    target = db.postgres_target(os.environ.get("RELIABILITY_PG_DB", "comrade_reliability"))
    db.recreate(target)
    db.migrate(target)
    db.setup_django(target)
    from bench.infra.load import ensure_users

    users = ensure_users(prefix=USER_PREFIX, count=settings.users, cents=USER_CENTS)
    rng = random.Random(7)
    groups = [_group(users[i], rng.sample(users, min(20, len(users))), i) for i in range(settings.groups)]
    server = Server(
        target,
        port=settings.port,
        workers=settings.workers,
        log=f"/tmp/comrade-reliability-{settings.port}.log",
        IDEMPOTENCY_STALE_SECONDS="10",  # a killed request's key is resolved after 10 s, not 120
    )
    server.log_path.write_text("")
    tokens = bearer_tokens(w.user_id for w in users)
    return World(target=target, server=server, users=users, tokens=tokens, groups=groups)


def _group(admin: Wallet, members: list[Wallet], index: int) -> Group:
    from django.db import transaction
    from django.utils import timezone

    from comrade.accounts.models import User
    from comrade.commerce.models import UserSubscription
    from comrade.groups.models import GroupMembers
    from comrade.groups.services import group_create
    from comrade.groups.services.common import lock_group
    from comrade.groups.services.members import member_add

    owner = User.objects.get(pk=admin.user_id)
    now = timezone.now()
    UserSubscription.objects.get_or_create(
        user=owner,
        status="ACTIVE",
        defaults={"subscription_type": "ENTERPRISE", "start_date": now, "end_date": now + timedelta(days=30)},
    )
    group = group_create(admin=owner, name=f"Reliability pot {index}", group_type="SAVINGS")
    with transaction.atomic():
        locked = lock_group(group)
        for member in members:
            if member.user_id != admin.user_id:
                member_add(group=locked, user=User(pk=member.user_id))
    ids = tuple(GroupMembers.objects.filter(group=group).values_list("user_id", flat=True))
    return Group(id=group.pk, pot_account_id=group.pot_id, admin_id=admin.user_id, member_ids=ids)
