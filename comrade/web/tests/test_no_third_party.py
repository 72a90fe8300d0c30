"""No page references another host, and every page carries a strict Content-Security-Policy.

Walks every named URL of comrade.web.urls (so pages added later are covered), filling path
arguments with real objects (a transaction, a group, a standing order, a product) where it can,
plus the API docs and the admin; logged out and logged in. Patterns whose arguments cannot be
filled are listed as skipped in the test's output."""

import itertools
import re
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, converters, reverse

import comrade.web.urls
from comrade.accounts.tests.otp import verify_session
from comrade.commerce.tests.factories import ProductFactory
from comrade.groups.tests.factories import PaymentGroupFactory
from comrade.standing_orders.tests.factories import StandingOrderFactory
from comrade.transfers.services import transfer_create

pytestmark = pytest.mark.django_db

EXTRA = ["/api/docs/", "/api/docs/?script", "/api/redoc/", "/admin/login/", "/accounts/verify-email/?token=x"]
NOT_A_PAGE = {"auth:logout"}  # POST only
REFERENCE = re.compile(
    r"""(?:\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?|url\(\s*["']?)\s*((?:https?:)?//[^"'\s)>]*)""", re.I
)
OWN_HOSTS = {"testserver", urlparse(settings.SITE_URL).netloc}


def named_patterns(patterns=None, namespace: str = "", route_args: tuple = ()):
    """(namespaced name, [(argument, converter)]) for every named pattern under comrade.web.urls."""
    for entry in comrade.web.urls.urlpatterns if patterns is None else patterns:
        args = route_args + tuple(getattr(entry.pattern, "converters", {}).items())
        if not getattr(entry.pattern, "converters", None) and hasattr(entry.pattern, "regex"):
            args += tuple((name, converters.StringConverter()) for name in entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry.url_patterns, inner, args)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", list(dict(args).items())


@pytest.fixture
def world(make_user):
    """An owner with one of each object a detail page may show."""
    owner = make_user(balance="100.00", email="owner@example.com")
    friend = make_user(email="friend@example.com")
    transfer = transfer_create(sender=owner, receiver_id=friend.pk, amount=Decimal("12.50"))
    group = PaymentGroupFactory(admin=owner)
    order = StandingOrderFactory(user=owner, recipient=friend)
    product = ProductFactory()
    ints = [transfer.pk, group.pk, order.pk, product.pk]
    strings = [transfer.token, *map(str, ints)]
    return owner, {
        converters.IntConverter: ints,
        converters.StringConverter: strings,
        converters.SlugConverter: strings,
    }


def candidate_urls(name: str, args: list, values: dict) -> list[str]:
    """URLs for `name` with each way of filling its arguments (at most 30)."""
    choices = []
    for _, converter in args:
        options = values.get(type(converter))
        if options is None:
            return []
        choices.append(options)
    urls = []
    for combination in itertools.islice(itertools.product(*choices), 30):
        try:
            urls.append(reverse(name, kwargs={arg: value for (arg, _), value in zip(args, combination, strict=True)}))
        except NoReverseMatch:
            continue
    return urls


def pages(client: Client, values: dict) -> tuple[dict, list]:
    """{url: response} for every web page (the first filling that is not a 404), and the skipped."""
    seen, skipped = {}, []
    for name, args in named_patterns():
        if name in NOT_A_PAGE:
            continue
        urls = candidate_urls(name, args, values)
        if not urls:
            skipped.append(name)
            continue
        responses = [(url, client.get(url)) for url in urls]
        url, response = next(((u, r) for u, r in responses if r.status_code != 404), responses[0])
        seen[url] = response
    for url in EXTRA:
        seen[url] = client.get(url)
    return seen, skipped


def foreign_references(body: str) -> list[str]:
    return [
        ref
        for ref in REFERENCE.findall(body)
        if urlparse(ref if "//" in ref[:8] else "//" + ref).netloc not in OWN_HOSTS
    ]


def assert_clean(url: str, response) -> None:
    assert response.status_code < 500, f"{url} answered {response.status_code}"
    assert_policy(url, response)
    assert_own_references(url, response)


def assert_policy(url: str, response) -> None:
    policy = response.get("Content-Security-Policy", "")
    assert policy, f"{url} has no Content-Security-Policy"
    assert "unsafe-" not in policy and "*" not in policy and "http" not in policy, f"{url}: {policy}"
    for directive in ("script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in policy, f"{url}: {directive} missing from {policy}"


def assert_own_references(url: str, response) -> None:
    content_type = response.get("Content-Type", "")
    if content_type.startswith(("text/html", "text/css", "application/javascript", "text/javascript")):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert foreign_references(body.decode(errors="replace")) == [], f"{url} references another host"


def check_all(client: Client, values: dict, capsys) -> dict:
    seen, skipped = pages(client, values)
    for url, response in seen.items():
        assert_clean(url, response)
    with capsys.disabled():
        if skipped:
            print(f"\nno-third-party: skipped (arguments not fillable): {', '.join(skipped)}")
    return seen


def stylesheets(client: Client, responses) -> dict:
    """Our own CSS files the pages link to (fonts and images inside them count too)."""
    found = {}
    for response in responses:
        if response.get("Content-Type", "").startswith("text/html"):
            for href in re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', response.content.decode()):
                found.setdefault(href, client.get(href))
    return found


def test_every_page_logged_out_references_only_our_own_host(world, capsys):
    _, values = world
    seen = check_all(Client(), values, capsys)
    assert seen["/accounts/login/"].status_code == 200
    assert seen["/api/docs/"].status_code == 200 and seen["/api/redoc/"].status_code == 200


def test_every_page_logged_in_references_only_our_own_host(world, capsys):
    owner, values = world
    client = Client()
    client.force_login(owner)
    seen = check_all(client, values, capsys)
    assert seen[reverse("wallet:home")].status_code == 200
    for href, response in stylesheets(client, seen.values()).items():
        assert response.status_code == 200, href
        assert_own_references(href, response)  # (static files come from whitenoise, without a CSP)


def test_the_admin_login_and_a_changelist_are_under_the_same_policy(world, make_user):
    staff = make_user(is_staff=True, is_superuser=True)
    client = Client()
    verify_session(client, staff)
    for url in ("/admin/", "/admin/accounts/user/", "/admin/ledger/transactiontoken/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_clean(url, response)


def test_the_docs_load_swagger_and_redoc_from_our_static_files():
    client = Client()
    swagger = client.get("/api/docs/").content.decode()
    redoc = client.get("/api/redoc/").content.decode()
    script = client.get("/api/docs/?script")

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in swagger
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in redoc
    assert "<script>" not in swagger + redoc and "<style" not in swagger + redoc
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert '"validatorUrl": null' in script.content.decode()


def test_the_walk_finds_the_pages_of_every_area():
    names = {name for name, _ in named_patterns()}
    assert {"wallet:home", "auth:login", "auth:signup", "groups:list", "shop:list"} <= names


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ('<script src="https://cdn.example.com/x.js"></script>', ["https://cdn.example.com/x.js"]),
        ("<link rel=stylesheet href=//fonts.example.net/a.css>", ["//fonts.example.net/a.css"]),
        ('<form action="http://evil.example/">', ["http://evil.example/"]),
        ("body { background: url('https://img.example.org/a.png') }", ["https://img.example.org/a.png"]),
        ('<a href="/history/">', []),
        ('<img src="data:image/png;base64,AAAA">', []),
        ('<a href="http://testserver/x">', []),
    ],
)
def test_the_check_sees_references_to_other_hosts(html, found):
    assert foreign_references(html) == found


def test_every_page_but_the_auth_pages_sends_a_stranger_to_log_in(world):
    _, values = world
    client = Client()
    for name, args in named_patterns():
        if name.startswith("auth:"):
            continue
        for url in candidate_urls(name, args, values)[:1]:
            response = client.get(url)
            assert response.status_code == 302, f"{url} answered {response.status_code} to a stranger"
            assert response["Location"].startswith(f"{reverse('auth:login')}?next="), url
