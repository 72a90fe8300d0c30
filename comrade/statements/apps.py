from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "comrade.statements"
    label = "statements"
    verbose_name = "Statements"
