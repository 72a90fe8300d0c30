from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web app for people: server-rendered pages over the same services and selectors as the API."""

    name = "comrade.web"
    label = "web"
