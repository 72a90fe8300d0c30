"""Browser journeys: Playwright for Python driving Debian's Chromium (`apt-get install chromium`;
Playwright cannot download its own browsers here) against Django's live server.

The tests are marked `browser` and skipped, with the reason, when /usr/bin/chromium is missing;
`scripts/test.sh` prints "browser tests: ran" only when they ran, and CI fails otherwise."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[4] / "build" / "screenshots"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 860}

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told that it is fine (the test itself is synchronous).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    mine = [item for item in items if Path(str(item.fspath)).is_relative_to(here)]
    for item in mine:
        item.add_marker(pytest.mark.browser)
        if not Path(CHROMIUM).exists():
            item.add_marker(pytest.mark.skip(reason=f"Chromium not installed at {CHROMIUM}"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--no-sandbox"]}


@pytest.fixture
def site(live_server):
    """The live server's base URL, with no trailing slash."""
    return live_server.url


@pytest.fixture
def sign_in(context, site):
    """Log a user in by giving the browser a session cookie made by Django's test client (the
    login page itself is covered by the sign-up journey)."""
    from django.test import Client

    def login(user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"]
        context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": site}])

    return login


@pytest.fixture
def screenshot():
    """screenshot(page, "send-review") saves build/screenshots/send-review-<width>.png; copy the
    good ones to docs/screenshots/ for the README."""

    def take(page, name: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"] if page.viewport_size else 0
        # caret="initial": hiding the caret leaves style="" on inputs, which htmx then copies into
        # the page (a CSP violation the tests would blame on us).
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True, caret="initial")

    return take


@pytest.fixture
def csp_violations(page):
    """Messages the browser logs when the Content-Security-Policy blocks something."""
    seen = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and seen.append(f"{page.url}: {message.text} {message.location}")
        ),
    )
    return seen


@pytest.fixture(autouse=True)
def no_csp_violations_on_our_pages(csp_violations):
    """Every journey fails if the policy blocked anything on our pages (htmx included). Redoc's
    hard-coded CDN logo is the one known block; the docs journey checks that page itself."""
    yield
    assert [text for text in csp_violations if "/api/redoc/" not in text] == []
