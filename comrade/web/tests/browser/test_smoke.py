import pytest
from playwright.sync_api import expect

from comrade.web.tests.browser.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_login_page_renders_on_a_phone(page, site, screenshot):
    page.set_viewport_size(PHONE)
    page.goto(f"{site}/accounts/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login")
