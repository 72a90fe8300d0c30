from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "comrade.core"
    label = "core"
