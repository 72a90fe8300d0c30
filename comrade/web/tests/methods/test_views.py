"""Saved payment methods: list, add, make default and remove (through a confirmation page) as
the payment-methods service does; bad values shown next to the field with nothing saved;
anyone else's method is a 404."""

import pytest
from django.urls import reverse

from comrade.ledger.payment_methods import payment_method_add
from comrade.ledger.selectors import profile_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(make_user):
    return make_user()


@pytest.fixture
def web(client, alice):
    client.force_login(alice)
    return client


def saved(user) -> tuple[list, str]:
    profile = profile_for(user)
    return profile.payment_methods, profile.default_payment_method


def test_the_page_needs_a_login(client):
    response = client.get(reverse("methods:list"))
    assert response.status_code == 302 and "/accounts/" in response.url


def test_add_lists_and_the_first_becomes_default(web, alice):
    response = web.post(reverse("methods:list"), {"provider": "sandbox", "token": "acct_first", "label": "Main"})
    assert response.status_code == 302
    methods, default = saved(alice)
    assert [(m["provider"], m["token"], m["label"]) for m in methods] == [("sandbox", "acct_first", "Main")]
    assert default == methods[0]["id"]
    page = web.get(reverse("methods:list")).content.decode()
    assert "acct_first" in page and "Main" in page and "Default" in page


def test_a_double_posted_add_saves_once(web, alice):
    data = {"provider": "sandbox", "token": "acct_twice"}
    web.post(reverse("methods:list"), data)
    again = web.post(reverse("methods:list"), data)
    assert again.status_code == 200
    assert "already saved" in str(again.context["form"].errors["token"])
    assert len(saved(alice)[0]) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"provider": "nope", "token": "acct_x"}, "provider"),
        ({"provider": "sandbox", "token": ""}, "token"),
        ({"provider": "sandbox", "token": "4242 4242 4242 4242"}, "token"),
        ({"provider": "sandbox", "token": "x" * 256}, "token"),
        ({"provider": "sandbox", "token": "acct_x", "label": "l" * 65}, "label"),
    ],
)
def test_bad_values_show_next_to_the_field_and_save_nothing(web, alice, data, field):
    response = web.post(reverse("methods:list"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert saved(alice) == ([], "")


def test_make_default(web, alice):
    profile = profile_for(alice)
    first = payment_method_add(profile=profile, provider="sandbox", token="acct_one")
    second = payment_method_add(profile=profile, provider="sandbox", token="acct_two")
    assert saved(alice)[1] == first["id"]
    response = web.post(reverse("methods:default"), {"method_id": second["id"]})
    assert response.status_code == 302
    assert saved(alice)[1] == second["id"]


def test_remove_goes_through_a_confirmation_page_and_happens_once(web, alice):
    profile = profile_for(alice)
    first = payment_method_add(profile=profile, provider="sandbox", token="acct_one")
    second = payment_method_add(profile=profile, provider="sandbox", token="acct_two")
    url = reverse("methods:remove", args=[first["id"]])
    page = web.get(url)
    assert page.status_code == 200 and "acct_one" in page.content.decode()
    assert len(saved(alice)[0]) == 2  # the confirmation page changes nothing
    assert web.post(url).status_code == 302
    again = web.post(url)
    assert again.status_code == 404
    methods, default = saved(alice)
    assert [m["id"] for m in methods] == [second["id"]] and default == second["id"]


def test_another_users_method_is_404_and_untouched(web, make_user):
    bob = make_user()
    method = payment_method_add(profile=profile_for(bob), provider="sandbox", token="acct_bob")
    url = reverse("methods:remove", args=[method["id"]])
    assert web.get(url).status_code == 404
    assert web.post(url).status_code == 404
    assert web.post(reverse("methods:default"), {"method_id": method["id"]}).status_code == 404
    assert "acct_bob" not in web.get(reverse("methods:list")).content.decode()
    assert saved(bob) == ([method], method["id"])


def test_the_withdraw_page_links_here(web):
    page = web.get(reverse("wallet:withdraw")).content.decode()
    assert reverse("methods:list") in page
