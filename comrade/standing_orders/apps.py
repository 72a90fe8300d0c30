from django.apps import AppConfig


class StandingOrdersConfig(AppConfig):
    name = "comrade.standing_orders"
    label = "standing_orders"
