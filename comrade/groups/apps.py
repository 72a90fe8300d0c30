from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "comrade.groups"
    label = "groups"
