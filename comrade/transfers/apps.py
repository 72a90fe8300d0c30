from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "comrade.transfers"
    label = "transfers"
