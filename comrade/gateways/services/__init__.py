"""External payment flows on top of the ledger: money in (`payments`), money out (`payouts`),
the one code path that applies a provider's answer (`answers`), early events (`parked`) and
reconciliation (`reconcile`)."""

from comrade.gateways.services.answers import ProviderAnswer, answer_apply
from comrade.gateways.services.common import Outcome, callback_url, clearing_account, holding_account
from comrade.gateways.services.payments import (
    external_payment_start,
    payment_authorize,
    payment_cancel,
    payment_refresh,
    payments_expire,
)
from comrade.gateways.services.payouts import refund_create, withdrawal_start
from comrade.gateways.services.reconcile import payment_reconcile, payments_reconcile, reconcile_run
from comrade.gateways.services.transactions import external_transaction_create

__all__ = [
    "Outcome",
    "ProviderAnswer",
    "answer_apply",
    "callback_url",
    "clearing_account",
    "external_payment_start",
    "external_transaction_create",
    "holding_account",
    "payment_authorize",
    "payment_cancel",
    "payment_reconcile",
    "payment_refresh",
    "payments_expire",
    "payments_reconcile",
    "reconcile_run",
    "refund_create",
    "withdrawal_start",
]
