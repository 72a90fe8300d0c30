"""Provider chaos: deposits and withdrawals run against the fake Stripe server (real HTTP) while it
stalls past our timeout after acting or answers 500 after acting (the answer is lost), answers
late, the customer fails a card attempt
before paying, cancels or lets the payment expire, webhooks arrive twice, out of order, late or
never, and the worker dies between a withdrawal's hold and the provider's answer (simulated: the
flow stops at that point, as a SIGKILL would stop it). The provider then finishes what it holds,
and reconciliation runs. What the fake says it did is the truth:

- every PaymentIntent the fake marks succeeded must have landed exactly once where the customer
  sees it (the original transaction completed, or one linked wallet credit), for its amount;
- every withdrawal's hold must be resolved: COMPLETED when the fake paid it out, released (FAILED)
  when it did not, and credited back when it failed after paying;
- nothing may be left open, and the ledger invariants must hold.

Runs in-process against the reliability database; the web server is not needed."""

import contextlib
import random
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from reliability import invariants

DELIVERY = ["once"] * 5 + ["twice"] * 2 + ["reversed"] * 2 + ["never"] * 2
TIMEOUT_SECONDS = 1


def run(world, settings) -> tuple[dict, list[str]]:
    from django.conf import settings as django_settings

    from comrade.gateways.fakes.stripe import FakeStripe

    fake = FakeStripe(api_key="sk_test_chaos", webhook_secret="whsec_chaos")
    saved = {k: getattr(django_settings, k) for k in ("STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")}
    saved["PROVIDER_TIMEOUT_SECONDS"] = django_settings.PROVIDER_TIMEOUT_SECONDS
    django_settings.STRIPE_API_KEY, django_settings.STRIPE_WEBHOOK_SECRET = fake.api_key, fake.webhook_secret
    django_settings.STRIPE_API_BASE, django_settings.PROVIDER_TIMEOUT_SECONDS = fake.base_url, TIMEOUT_SECONDS
    try:
        chaos = Chaos(world, fake, random.Random(11), count=settings.pick(40, 200, "RELIABILITY_CHAOS_PAYMENTS"))
        fake.chaos(path="/v1/", error_after_p=0.08, late_p=0.1, late_seconds=0.2, seed=5)
        chaos.play()
        fake.chaos_reset()
        rounds = chaos.reconcile()
        figures, violations = chaos.audit()
        figures["reconciliation_rounds"] = rounds
        effects = Counter(effect for effect, _ in fake.chaos_log)
        figures["provider_answered_500_after_acting"] = effects["error_after"]
        figures["provider_answered_late"] = effects["late"]
    finally:
        for key, value in saved.items():
            setattr(django_settings, key, value)
        fake.stop()
    ledger_figures, ledger_violations = invariants.ledger(world.target)
    figures["sum_of_all_balances"] = ledger_figures.get("sum_of_all_balances")
    return figures, violations + ledger_violations + [f"fake provider bug: {e[-300:]}" for e in fake.errors]


class Chaos:
    def __init__(self, world, fake, rng: random.Random, count: int):
        self.world, self.fake, self.rng, self.count = world, fake, rng, count
        self.tally: Counter = Counter()
        self.started = None
        self.hangs_end = 0.0  # time.monotonic() when the last stalled request has been acted on

    def _hang_next(self, path: str) -> None:
        """The next request to `path` stalls past our client's timeout, then the fake acts on it."""
        self.fake.hang_next(TIMEOUT_SECONDS + 0.5, path=path)
        self.hangs_end = time.monotonic() + TIMEOUT_SECONDS + 1.5  # acted on by then, a second to spare

    # --- the workload -------------------------------------------------------------------------

    def play(self) -> None:
        from django.utils import timezone

        self.started = timezone.now()
        for _ in range(self.count):
            user = self._user(self.rng.choice(self.world.users).user_id)
            if self.rng.random() < 0.6:
                self._deposit(user)
            else:
                self._withdrawal(user)

    def _user(self, user_id: int):
        from comrade.accounts.models import User

        return User.objects.get(pk=user_id)

    def _amount(self) -> Decimal:
        return Decimal(self.rng.randint(100, 5000)) / 100

    def _deposit(self, user) -> None:
        from comrade.gateways.services import external_transaction_create, payment_cancel, payments_expire

        if self.rng.random() < 0.1:
            self._hang_next("/v1/payment_intents")
            self.tally["deposit_create_timed_out"] += 1
        txn = external_transaction_create(
            user=user, transaction_type="DEPOSIT", amount=self._amount(), provider="stripe"
        )
        pi_id = txn.external.provider_reference
        if not pi_id:
            return
        events = []
        if self.rng.random() < 0.2:
            self.fake.decline(pi_id)
            events.append(self.fake.payment_webhook(pi_id))
            self.tally["card_attempt_failed"] += 1
        fate = self.rng.random()
        if fate < 0.1:
            payment_cancel(txn=txn, user=user)
            self.tally["cancelled_before_paying"] += 1
        if fate >= 0.1 and self.rng.random() < 0.75 and self._payable(pi_id):
            self.fake.approve(pi_id)
            events.append(self.fake.payment_webhook(pi_id))
            self.tally["paid_at_provider"] += 1
        if 0.1 <= fate < 0.25:
            payments_expire(self.started + timedelta(days=1))
            self.tally["expired_locally"] += 1
        self._deliver(events)

    def _payable(self, pi_id: str) -> bool:
        return self.fake.payment_intents[pi_id]["status"] not in ("canceled", "succeeded")

    def _withdrawal(self, user) -> None:
        from comrade.gateways.providers.base import GatewayError, PayoutRequest
        from comrade.gateways.registry import gateway_for
        from comrade.gateways.services import withdrawal_start
        from comrade.gateways.services.payouts import _outbound_hold
        from comrade.ledger.services import wallet_account_id

        amount = self._amount()
        roll = self.rng.random()
        if roll < 0.2:  # the worker dies after the hold: before calling, or after calling the provider
            payment = _outbound_hold(
                source_account_id=wallet_account_id(user),
                provider="stripe",
                destination="ba_chaos",
                fields={"sender": user, "receiver": user, "amount": amount, "transaction_type": "WITHDRAWAL"},
            )
            txn = payment.transaction
            if roll < 0.1 and txn.status == "AUTHORIZED":
                request = PayoutRequest(
                    reference=txn.token,
                    amount=amount,
                    currency=txn.currency,
                    destination="ba_chaos",
                    idempotency_key=txn.token,
                )
                with contextlib.suppress(GatewayError):  # the worker dies anyway: its answer is lost
                    gateway_for("stripe").payout(request)
            self.tally["killed_after_hold"] += 1
            return
        if roll < 0.3:
            self._hang_next("/v1/payouts")
            self.tally["payout_create_timed_out"] += 1
        txn = withdrawal_start(user=user, amount=amount, provider="stripe", destination="ba_chaos")
        po_id = txn.external.provider_reference
        if not po_id or txn.status != "AUTHORIZED":
            return
        paid = self.rng.random() < 0.8
        self.fake.settle_payout(po_id, paid=paid)
        events = [self.fake.payout_webhook(po_id)]
        if paid and self.rng.random() < 0.1:
            self.fake.settle_payout(po_id, paid=False)
            events.append(self.fake.payout_webhook(po_id))
            self.tally["paid_then_returned"] += 1
        self._deliver(events)

    def _deliver(self, events: list) -> None:
        from comrade.gateways.webhooks import webhook_receive

        mode = self.rng.choice(DELIVERY)
        self.tally[f"webhooks_{mode}"] += 1
        if mode == "never":
            return
        order = list(reversed(events)) if mode == "reversed" else events
        for body, headers in order * (2 if mode == "twice" else 1):
            webhook_receive(provider="stripe", headers=headers, body=body)

    # --- the provider finishes, reconciliation runs ---------------------------------------------

    def reconcile(self) -> int:
        from django.utils import timezone

        from comrade.gateways.models import ExternalPayment
        from comrade.gateways.services import payments_expire, reconcile_run

        # The hours below pass at once; a provider that acts on a stalled request after our client
        # gave up must have acted before them, as it would within the first hour in real life.
        time.sleep(max(0.0, self.hangs_end - time.monotonic()))
        rounds = 0
        for hours in (1, 2, 4, 8, 16, 32):
            rounds += 1
            # Every round: a payout whose creation the fake finished after our client timed out
            # (a hung request) appears only after the first round has started.
            self._provider_finishes_payouts()
            now = timezone.now() + timedelta(hours=hours)
            payments_expire(now)  # the scheduler runs both jobs
            reconcile_run(now=now, limit=10_000)
            if not ExternalPayment.objects.filter(resolved_at__isnull=True, provider="stripe").exists():
                break
        return rounds

    def _provider_finishes_payouts(self) -> None:
        with self.fake.lock:
            pending = [po for po in self.fake.payouts.values() if po["status"] in ("pending", "in_transit")]
        for payout in pending:
            self.fake.settle_payout(payout["id"], paid=self.rng.random() < 0.8)

    # --- what the fake says happened, against what we did ---------------------------------------

    def audit(self) -> tuple[dict, list[str]]:
        from comrade.gateways.models import ExternalPayment

        violations: list[str] = []
        payments = {
            p.provider_reference: p
            for p in ExternalPayment.objects.filter(provider="stripe").select_related("transaction", "wallet_credit")
        }
        by_token = {p.transaction.token: p for p in payments.values()}
        taken = [pi for pi in self.fake.payment_intents.values() if pi["status"] == "succeeded"]
        for intent in taken:
            payment = payments.get(intent["id"]) or by_token.get(intent["metadata"].get("reference", ""))
            violations += _landed_once(intent, payment)
        for payment in payments.values():
            if payment.direction == "OUT":
                violations += _payout_resolved(payment, self.fake)
        still_open = [p.transaction.token for p in payments.values() if p.resolved_at is None]
        violations += [f"{token}: still open after reconciliation" for token in still_open]
        figures = dict(sorted(self.tally.items()))
        figures.update(
            payments=len(payments),
            money_taken_by_provider=len(taken),
            money_taken_not_landed_once=sum(1 for v in violations if "landed" in v),
            holds_unresolved=sum(1 for v in violations if "hold" in v),
            credited_to_wallet=sum(1 for p in payments.values() if p.wallet_credit_id),
            still_open=len(still_open),
        )
        return figures, violations


def _landed_once(intent: dict, payment) -> list[str]:
    amount = Decimal(intent["amount"]) / 100
    if payment is None:
        return [f"{intent['id']}: money taken by the provider never landed (no payment found)"]
    original = payment.transaction
    credited_as_intended = original.status == "COMPLETED"
    credited_to_wallet = payment.wallet_credit is not None and payment.wallet_credit.status == "COMPLETED"
    landings = int(credited_as_intended) + int(credited_to_wallet)
    if landings != 1:
        return [f"{original.token}: money taken by the provider landed {landings} times"]
    landed = original.amount if credited_as_intended else payment.wallet_credit.amount
    return [] if landed == amount else [f"{original.token}: landed {landed}, the provider took {amount}"]


def _payout_resolved(payment, fake) -> list[str]:
    txn = payment.transaction
    if txn.status == "AUTHORIZED":
        return [f"{txn.token}: hold left unresolved"]
    payout = next((po for po in fake.payouts.values() if po["metadata"].get("reference") == txn.token), None)
    paid = payout is not None and payout["status"] == "paid"
    returned = payout is not None and payout["status"] == "failed" and txn.status == "COMPLETED"
    if paid and txn.status != "COMPLETED":
        return [f"{txn.token}: the provider paid out but the hold was released ({txn.status})"]
    if not paid and txn.status == "COMPLETED" and not (returned and payment.wallet_credit_id):
        return [f"{txn.token}: completed, but the provider did not pay out and nothing was credited back"]
    return []
