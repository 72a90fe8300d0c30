from django.apps import AppConfig


class GatewaysConfig(AppConfig):
    name = "comrade.gateways"
    label = "gateways"
    verbose_name = "External payments"

    def ready(self):
        from django.conf import settings

        from comrade.core import jobs, retention
        from comrade.gateways.services import payments_expire, payments_reconcile
        from comrade.gateways.webhooks import rejected_events_purge

        jobs.register("expire_pending_payments", payments_expire, every_seconds=300)
        jobs.register("reconcile_payments", payments_reconcile, every_seconds=settings.RECONCILE_JOB_SECONDS)
        retention.register_purge(rejected_events_purge)
