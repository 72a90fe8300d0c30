import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from comrade.core.checks import refuse_to_serve_on_errors  # noqa: E402 - needs the apps loaded

refuse_to_serve_on_errors()
