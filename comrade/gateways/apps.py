from django.apps import AppConfig


class GatewaysConfig(AppConfig):
    name = "comrade.gateways"
    label = "gateways"
