from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "comrade.commerce"
    label = "commerce"
