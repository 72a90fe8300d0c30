"""Idempotency storm: 50 identical requests with one Idempotency-Key released at the same instant
against gunicorn, for a transfer, a group contribution and a withdrawal. Exactly one movement of
money may result, and every request must get the first request's answer."""

import threading
import uuid
from collections import Counter
from decimal import Decimal

import requests

from reliability import invariants
from reliability.bank import CONTRIBUTE, TRANSFER
from reliability.world import World

REQUESTS = 50


def _fire(url: str, body: dict, headers: dict) -> list:
    barrier = threading.Barrier(REQUESTS)
    answers: list = [None] * REQUESTS

    def one(index: int) -> None:
        session = requests.Session()
        barrier.wait()
        try:
            answers[index] = session.post(url, json=body, headers=headers, timeout=120)
        except requests.RequestException as exc:
            answers[index] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def storm(world: World, name: str, user_id: int, path: str, body: dict, debit_account: int) -> tuple[dict, list]:
    from comrade.ledger.models import LedgerEntry, TransactionToken

    first_id = (TransactionToken.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    before = invariants.balances([debit_account])[debit_account]
    headers = world.headers(user_id, **{"Idempotency-Key": f"storm-{uuid.uuid4()}"})
    answers = _fire(world.server.base_url + path, body, headers)
    responses = [a for a in answers if isinstance(a, requests.Response)]
    ids = {r.json().get("id") for r in responses if r.status_code == 201}
    created = TransactionToken.objects.filter(pk__gte=first_id, sender_id=user_id)
    moved = before - invariants.balances([debit_account])[debit_account]
    figures = {
        "requests": REQUESTS,
        "statuses": dict(Counter(r.status_code for r in responses)),
        "transport_errors": REQUESTS - len(responses),
        "replayed": sum(1 for r in responses if r.headers.get("Idempotent-Replayed") == "true"),
        "distinct_transactions_answered": len(ids),
        "transactions_created": created.count(),
        "entries_created": LedgerEntry.objects.filter(transaction__in=created).count(),
        "debited": str(moved),
    }
    violations = []
    if figures["statuses"] != {201: REQUESTS}:
        violations.append(f"{name}: answers {figures['statuses']}, expected 201 x{REQUESTS}")
    if len(ids) != 1 or figures["transactions_created"] != 1:
        violations.append(f"{name}: {len(ids)} transactions answered, {figures['transactions_created']} created")
    if moved != Decimal(body["amount"]):
        violations.append(f"{name}: {moved} left the payer's account for one request of {body['amount']}")
    return figures, violations


def _fund(*users) -> None:
    from comrade.accounts.models import User
    from comrade.ledger.services import wallet_fund

    for user in users:
        wallet_fund(user=User.objects.get(pk=user.user_id), amount=Decimal("100.00"))


def run(world: World) -> tuple[dict, list[str]]:
    world.server.start()
    try:
        payer, receiver = world.users[-1], world.users[-2]
        group = world.groups[0]
        member = next(w for w in world.users if w.user_id in group.member_ids and w.user_id != group.admin_id)
        _fund(payer, member)  # the workloads before this step may have spent their balances
        cases = [
            (
                "transfer",
                payer.user_id,
                TRANSFER,
                {"receiver_id": receiver.user_id, "amount": "12.34", "payment_method": "INTERNAL"},
                payer.account_id,
            ),
            (
                "contribution",
                member.user_id,
                CONTRIBUTE.format(id=group.id),
                {"amount": "5.67", "payment_method": "INTERNAL"},
                member.account_id,
            ),
            (
                "withdrawal",
                payer.user_id,
                TRANSFER,
                {
                    "amount": "8.90",
                    "payment_method": "EXTERNAL",
                    "transaction_type": "WITHDRAWAL",
                    "external_payment_provider": "sandbox",
                    "metadata": {"destination": "storm-account"},
                },
                payer.account_id,
            ),
        ]
        figures, violations = {}, []
        for name, user_id, path, body, account in cases:
            figures[name], found = storm(world, name, user_id, path, body, account)
            violations += found
        return figures, violations
    finally:
        world.server.stop()
