from django.apps import AppConfig


class GatewaysConfig(AppConfig):
    name = "comrade.gateways"
    label = "gateways"
    verbose_name = "External payments"

    def ready(self):
        from comrade.core import jobs
        from comrade.gateways.services import payments_expire

        jobs.register("expire_pending_payments", payments_expire, every_seconds=300)
