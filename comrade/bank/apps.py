from django.apps import AppConfig


class BankConfig(AppConfig):
    """Bank transfers on ISO 20022 files (issue 14): deposits matched from imported statements,
    withdrawals paid by pain.001 credit-transfer files."""

    name = "comrade.bank"
    label = "bank"
