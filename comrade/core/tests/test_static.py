"""whitenoise serves the admin's and the browsable API's static files from the Django process, so
pages are styled under gunicorn too; production uses the collected, hashed, compressed files."""

import subprocess
import sys

import pytest

from comrade.core.tests.test_production_settings import BASE_DIR, production_env  # noqa: F401

ADMIN_CSS = "/static/admin/css/base.css"


def test_an_admin_stylesheet_is_served_by_whitenoise(client):
    response = client.get(ADMIN_CSS)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"".join(response.streaming_content).strip()


def test_the_browsable_api_stylesheet_is_served(client):
    assert client.get("/static/rest_framework/css/bootstrap.min.css").status_code == 200


def test_a_missing_static_file_is_a_404(client):
    assert client.get("/static/admin/css/no-such-file.css").status_code == 404


PRODUCTION_PAGE = """
import sys
import django
from django.conf import settings
settings.STATIC_ROOT = sys.argv[1]
django.setup()
from django.core.management import call_command
from django.test import Client
if sys.argv[2] == "collect":
    call_command("collectstatic", "--noinput", verbosity=0)
client = Client()
page = client.get("/admin/login/")
css = next(part for part in page.content.decode().split('"') if part.startswith("/static/admin/css/base."))
print(page.status_code, css, client.get(css).status_code)
"""


@pytest.mark.parametrize("collect", ["collect", "forgot"])
def test_production_serves_hashed_files_after_collectstatic_and_never_500s_without(production_env, tmp_path, collect):  # noqa: F811
    env = {**production_env, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_SECURE_SSL_REDIRECT": "false"}
    env["DJANGO_ALLOWED_HOSTS"] = "testserver"
    command = [sys.executable, "-c", PRODUCTION_PAGE, str(tmp_path / "static"), collect]
    done = subprocess.run(command, env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    status, css, css_status = done.stdout.split()
    assert status == "200"
    if collect == "collect":
        assert css != ADMIN_CSS and css_status == "200"  # the hashed, cacheable name
    else:
        assert css == ADMIN_CSS and "is not collected" in done.stderr
