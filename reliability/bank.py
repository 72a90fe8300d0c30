"""The bank workload: client threads send random transfers, group contributions and withdrawals
(sandbox provider) through gunicorn while the server is killed with SIGKILL (master and workers)
and restarted. Every money request carries an Idempotency-Key (also written in its description)
and is retried with it until it gets an application's answer, as a real client would. A key whose
first request was killed answers 409 `idempotency_request_in_progress` until the claim is stale
(IDEMPOTENCY_STALE_SECONDS, 10 s here); then the retry runs again if no money moved, or answers 409
`idempotency_request_interrupted` with the transactions the killed request made
(comrade/core/idempotency.py), which the client takes as its answer. The clients keep their own
books from the answers; afterwards the database must agree with them to the cent (no half-applied
and no doubled movement), and the ledger invariants must hold."""

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

import requests

from reliability import invariants
from reliability.world import Settings, World

TRANSFER = "/payments/transactions/create_transaction/"
CONTRIBUTE = "/payments/payment-groups/{id}/contribute/"
BALANCE = "/payments/payment-profiles/balance/"
IN_PROGRESS = "idempotency_request_in_progress"
INTERRUPTED = "idempotency_request_interrupted"
RESOLVE_SECONDS = 90
CENT = Decimal("0.01")
CLIENT_TYPES = ["TRANSFER", "CONTRIBUTION", "WITHDRAWAL"]


@dataclass
class Books:
    """What the clients know from the answers they got."""

    wallets: Counter = field(default_factory=Counter)  # user id -> change in cents
    pots: Counter = field(default_factory=Counter)  # group id -> change in cents
    withdrawn: int = 0
    held: int = 0
    acknowledged: set = field(default_factory=set)  # ids of transactions named in answers
    outcomes: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    served: Counter = field(default_factory=Counter)  # host:port of the node -> answers it gave
    refused: Counter = field(default_factory=Counter)  # host:port of the node -> connection errors
    connection_errors: int = 0
    retried: int = 0
    keys_in_progress: int = 0  # 409 answers while a killed request's claim was not yet stale
    keys_interrupted: int = 0  # 409 answers naming the transactions of a killed request
    unresolved: int = 0
    crashed_clients: list = field(default_factory=list)
    server_errors: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _is_answer(response: requests.Response, books: Books) -> bool:
    """An answer of the application (JSON with a code, or any 2xx/4xx), not a dead or dying server
    and not a claim still waiting to go stale."""
    if response.status_code == 409 and _code(response) == IN_PROGRESS:
        with books.lock:
            books.keys_in_progress += 1
        time.sleep(0.5)
        return False
    if response.status_code < 500:
        return True
    try:
        return "code" in response.json()
    except ValueError:
        return False


def send(session, books: Books, url: str | Callable[[], str], body: dict, headers: dict, deadline: float):
    """POST until the application answers; the same Idempotency-Key on every try. `url` may be a
    callable that names the URL of each try, so that a retry can go to another node (as a load
    balancer does when a node stops answering)."""
    first = True
    while time.monotonic() < deadline:
        if not first:
            with books.lock:
                books.retried += 1
        first = False
        url_now = url() if callable(url) else url
        try:
            response = session.post(url_now, json=body, headers=headers, timeout=60)
        except requests.RequestException:
            _count_refused(books, url_now)
            time.sleep(0.2)
            continue
        _count_answer(books, url_now, response)
        if _is_answer(response, books):
            return response
        if response.status_code >= 500:
            with books.lock:
                books.server_errors.append(f"{response.status_code} {url_now} {body}: {response.text[:200]}")
            time.sleep(0.2)
    with books.lock:
        books.unresolved += 1
    return None


def _count_answer(books: Books, url: str, response: requests.Response) -> None:
    with books.lock:
        books.statuses[response.status_code] += 1
        books.served[urlsplit(url).netloc] += 1


def _count_refused(books: Books, url: str) -> None:
    with books.lock:
        books.connection_errors += 1
        books.refused[urlsplit(url).netloc] += 1


def _code(response: requests.Response) -> str:
    try:
        return str(response.json().get("code", ""))
    except (ValueError, AttributeError):
        return ""


def _cents(amount: str) -> int:
    return int(Decimal(amount) / CENT)


def _txn(body) -> dict:
    return body.get("transaction") or body if isinstance(body, dict) else {}


class Client:
    def __init__(self, world: World, books: Books, seed: int, deadline: float):
        self.world, self.books, self.rng, self.deadline = world, books, random.Random(seed), deadline
        self.session = requests.Session()

    @property
    def base(self) -> str:
        """Asked of the server on every request: one node, or a pick among several (cluster/)."""
        return self.world.server.base_url

    def post(self, user_id: int, path: str, body: dict) -> tuple[int, dict] | None:
        """(status, transaction or error body) of the request; the transaction a killed request
        made when the retry says it was interrupted."""
        key = str(uuid.uuid4())
        headers = self.world.headers(user_id, **{"Idempotency-Key": key})
        response = send(self.session, self.books, lambda: self.base + path, body, headers, self.deadline)
        if response is None:
            return None
        answer = response.json()
        if response.status_code == 409 and answer.get("code") == INTERRUPTED:
            with self.books.lock:
                self.books.keys_interrupted += 1
            made = answer.get("transactions") or [{}]
            return (400 if made[-1].get("status") == "FAILED" else 201), made[-1]
        return response.status_code, _txn(answer)

    def amount(self, low: int, high: int) -> str:
        return f"{Decimal(self.rng.randint(low, high)) / 100:.2f}"

    def transfer(self) -> None:
        sender, receiver = self.rng.sample(self.world.users, 2)
        amount = "1500.00" if self.rng.random() < 0.1 else self.amount(1, 5000)
        body = {"receiver_id": receiver.user_id, "amount": amount, "payment_method": "INTERNAL"}
        response = self.post(sender.user_id, TRANSFER, body)
        self.record("transfer", response, {sender.user_id: -_cents(amount), receiver.user_id: _cents(amount)})

    def contribute(self) -> None:
        group = self.rng.choice(self.world.groups)
        member = self.rng.choice(group.member_ids)
        amount = self.amount(1, 3000)
        response = self.post(member, CONTRIBUTE.format(id=group.id), {"amount": amount, "payment_method": "INTERNAL"})
        self.record("contribution", response, {member: -_cents(amount)}, pot=(group.id, _cents(amount)))

    def withdraw(self) -> None:
        user = self.rng.choice(self.world.users)
        amount = self.amount(1, 2000)
        if self.rng.random() < 0.2:
            amount = f"{int(Decimal(amount))}.13"  # the sandbox refuses payouts ending in .13
        body = {
            "amount": amount,
            "payment_method": "EXTERNAL",
            "transaction_type": "WITHDRAWAL",
            "external_payment_provider": "sandbox",
            "metadata": {"destination": "reliability-account"},
        }
        response = self.post(user.user_id, TRANSFER, body)
        self.record("withdrawal", response, {user.user_id: -_cents(amount)}, out=_cents(amount))

    def read(self) -> None:
        user = self.rng.choice(self.world.users)
        url = self.base + BALANCE
        try:
            response = self.session.get(url, headers=self.world.headers(user.user_id), timeout=30)
        except requests.RequestException:
            _count_refused(self.books, url)
            return
        _count_answer(self.books, url, response)
        with self.books.lock:
            self.books.outcomes[f"read {response.status_code}"] += 1

    def record(self, kind: str, answer: tuple[int, dict] | None, wallets: dict, pot=None, out: int = 0) -> None:
        if answer is None:
            return
        code, txn = answer
        status = txn.get("status") if code in (201, 400, 502) else None
        with self.books.lock:
            self.books.outcomes[f"{kind} {code} {status or txn.get('code')}"] += 1
            if txn.get("id") and status:
                self.books.acknowledged.add(txn["id"])
            if status in ("COMPLETED", "AUTHORIZED"):
                self.books.wallets.update(wallets)
                if pot:
                    self.books.pots[pot[0]] += pot[1]
                if out and status == "COMPLETED":
                    self.books.withdrawn += out
                elif out:
                    self.books.held += out

    def run(self, stop_at: float) -> None:
        actions = [self.transfer] * 14 + [self.contribute] * 3 + [self.withdraw] * 2 + [self.read]
        try:
            while time.monotonic() < stop_at:
                self.rng.choice(actions)()
        except Exception as exc:  # noqa: BLE001 - a client that dies loses its books: reported, not hidden
            with self.books.lock:
                self.books.crashed_clients.append(f"{type(exc).__name__}: {exc}"[:300])


def _faults(world: World, kills: int, seconds: int, started: float, log: list) -> None:
    """SIGKILL the server `kills` times, evenly spread over the load, restarting it after 1s."""
    for k in range(kills):
        time.sleep(max(started + seconds * (k + 1) / (kills + 1) - time.monotonic(), 0))
        world.server.kill()
        killed_at = time.monotonic()
        time.sleep(1.0)
        try:
            world.server.start()
        except RuntimeError as exc:  # e.g. the code on disk does not import: reported, load goes on failing
            log.append(f"restart failed: {exc}")
            continue
        log.append(round(time.monotonic() - killed_at, 2))


def run(world: World, settings: Settings, *, kills: int, seconds: int) -> tuple[dict, list[str]]:
    from comrade.ledger.models import TransactionToken

    accounts = {w.user_id: w.account_id for w in world.users}
    before = invariants.balances([*accounts.values(), *(g.pot_account_id for g in world.groups)])
    clearing_before = _clearing()
    first_id = (TransactionToken.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    books, downtimes = Books(), []
    started = time.monotonic()
    stop_at = started + seconds
    clients = [Client(world, books, seed, stop_at + RESOLVE_SECONDS) for seed in range(settings.clients)]
    world.server.start()
    threads = [threading.Thread(target=c.run, args=(stop_at,)) for c in clients]
    threads.append(threading.Thread(target=_faults, args=(world, kills, seconds, started, downtimes)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    world.server.stop()
    after = invariants.balances([*accounts.values(), *(g.pot_account_id for g in world.groups)])
    violations = _wallets_match(books, accounts, before, after) + _pots_match(books, world, before, after)
    paid_out = _clearing() - clearing_before
    if paid_out != Decimal(books.withdrawn) / 100:
        violations.append(f"{paid_out} reached the sandbox, the clients saw {Decimal(books.withdrawn) / 100} paid out")
    created = set(
        TransactionToken.objects.filter(pk__gte=first_id, transaction_type__in=CLIENT_TYPES)
        .exclude(metadata__has_key="standing_order_id")  # paid by the scheduler, not asked for by a client
        .values_list("pk", flat=True)
    )
    unacknowledged, missing = created - books.acknowledged, books.acknowledged - created
    violations += [f"transaction {pk} exists but no client was told about it" for pk in sorted(unacknowledged)[:10]]
    violations += [f"transaction {pk} was answered but is not in the database" for pk in sorted(missing)[:10]]
    violations += [f"server error outside a fault: {e}" for e in books.server_errors[:10]]
    if (books.keys_in_progress or books.keys_interrupted) and not kills:
        violations.append("409 for an Idempotency-Key without any fault injected")
    violations += [f"client crashed (its books are incomplete): {c}" for c in books.crashed_clients]
    violations += [f"server {d}" for d in downtimes if isinstance(d, str)]
    if books.unresolved:
        violations.append(f"{books.unresolved} requests never got an answer")
    figures = {
        "clients": settings.clients,
        "seconds": seconds,
        "requests": sum(books.statuses.values()) + books.connection_errors,
        "responses_by_status": dict(sorted(books.statuses.items())),
        "responses_by_node": dict(sorted(books.served.items())),
        "connection_errors_by_node": dict(sorted(books.refused.items())),
        "outcomes": dict(sorted(books.outcomes.items())),
        "faults_injected": len(downtimes),
        "downtime_seconds": downtimes,
        "connection_errors": books.connection_errors,
        "retries_with_same_key": books.retried,
        "keys_waiting_for_staleness_409": books.keys_in_progress,
        "keys_interrupted_409_with_transactions": books.keys_interrupted,
        "transactions_created": len(created),
        "transactions_acknowledged": len(books.acknowledged),
        "paid_out": str(Decimal(books.withdrawn) / 100),
    }
    return figures, violations


def _clearing() -> Decimal:
    from comrade.ledger.models import LedgerAccount

    balance = LedgerAccount.objects.filter(code="clearing:sandbox").values_list("balance", flat=True).first()
    return Decimal(balance or 0)


def _wallets_match(books: Books, accounts: dict, before: dict, after: dict) -> list[str]:
    wrong = []
    for user_id, account_id in accounts.items():
        expected = before[account_id] + Decimal(books.wallets[user_id]) / 100
        if after[account_id] != expected:
            wrong.append(f"wallet of user {user_id}: {after[account_id]} in the database, {expected} by the answers")
    return wrong[:10] + ([f"... {len(wrong) - 10} more wallets"] if len(wrong) > 10 else [])


def _pots_match(books: Books, world: World, before: dict, after: dict) -> list[str]:
    wrong = []
    for group in world.groups:
        expected = before[group.pot_account_id] + Decimal(books.pots[group.id]) / 100
        if after[group.pot_account_id] != expected:
            wrong.append(
                f"pot of group {group.id}: {after[group.pot_account_id]} in the database, {expected} by the answers"
            )
    return wrong
