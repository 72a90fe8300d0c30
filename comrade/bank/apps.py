from django.apps import AppConfig


class BankConfig(AppConfig):
    """Bank transfers on ISO 20022 files (issue 14): deposits matched from imported statements,
    withdrawals paid by pain.001 credit-transfer files."""

    name = "comrade.bank"
    label = "bank"

    def ready(self):
        from django.conf import settings

        from comrade.bank import (
            admin_outgoing,  # noqa: F401 - registers the outgoing models' admin
            checks,  # noqa: F401 - checks register on import
        )
        from comrade.bank.jobs import statements_inbox_import
        from comrade.bank.services.export import bank_payments_export
        from comrade.core import jobs

        jobs.register(
            "import_bank_statements", statements_inbox_import, every_seconds=settings.BANK_STATEMENT_JOB_SECONDS
        )
        jobs.register("export_bank_payments", bank_payments_export, every_seconds=settings.BANK_EXPORT_JOB_SECONDS)
        if settings.FAKE_BANK_ENABLED:
            from comrade.bank.fakebank import fake_bank_day

            jobs.register("fake_bank", fake_bank_day, every_seconds=30)
