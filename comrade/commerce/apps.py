from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "comrade.commerce"
    label = "commerce"
    verbose_name = "Products, purchases and subscriptions"

    def ready(self):
        from comrade.commerce.checks import (
            purchases_match_their_transactions,
            refunds_debit_the_sale_shard,
            subscription_charges_completed,
        )
        from comrade.commerce.services.purchases import purchase_prepare, purchase_settled
        from comrade.commerce.services.subscriptions import subscriptions_renew
        from comrade.core import jobs, settlement
        from comrade.ledger import checks
        from comrade.ledger.models import TransactionToken

        jobs.register("renew_subscriptions", subscriptions_renew, every_seconds=3600)
        settlement.on_settled(TransactionToken.Type.PURCHASE, purchase_settled, prepare=purchase_prepare)
        checks.register(purchases_match_their_transactions)
        checks.register(subscription_charges_completed)
        checks.register(refunds_debit_the_sale_shard)
