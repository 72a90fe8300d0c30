from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "comrade.ledger"
    label = "ledger"
    verbose_name = "Wallets and ledger"
