from django.apps import AppConfig


class StandingOrdersConfig(AppConfig):
    name = "comrade.standing_orders"
    label = "standing_orders"

    def ready(self):
        from django.conf import settings

        from comrade.core import jobs
        from comrade.ledger import checks
        from comrade.standing_orders.selectors import executions_inconsistent

        jobs.register("execute_standing_orders", execute_due, every_seconds=settings.STANDING_ORDER_JOB_SECONDS)
        checks.register(executions_inconsistent)


def execute_due(now) -> int:
    """The scheduler job: every standing order due at `now`."""
    from comrade.standing_orders.services import standing_orders_execute_due

    return standing_orders_execute_due(now=now)
