from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "comrade.accounts"
    label = "accounts"
