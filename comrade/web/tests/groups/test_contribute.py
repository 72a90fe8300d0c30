import re
from decimal import Decimal

import pytest

from comrade.core.models import IdempotencyRecord
from comrade.groups.models import Contribution
from comrade.groups.services import group_close
from comrade.groups.tests.factories import GroupTargetFactory
from comrade.groups.tests.helpers import pot, wallet
from comrade.ledger.models import TransactionToken

pytestmark = pytest.mark.django_db


def urls(group):
    return f"/groups/{group.pk}/contribute/", f"/groups/{group.pk}/contribute/confirm/"


def review(client, group, amount, **extra):
    response = client.post(urls(group)[0], {"amount": amount, **extra})
    key = re.search(r'name="form_key" value="([^"]+)"', response.content.decode())
    return response, key.group(1) if key else None


def test_form_review_confirm_moves_the_money_once(browser_for, group, member):
    client = browser_for(member)
    assert client.get(urls(group)[0]).status_code == 200
    response, key = review(client, group, "1,50.5".replace("1,", "1"))  # "150.5"
    html = response.content.decode()
    assert response.status_code == 200 and key
    assert "Review your contribution" in html and "Vacation Fund" in html
    assert "USD 150.50" in html and "USD 49.50" in html  # amount, balance after
    assert "Contribute USD 150.50 to Vacation Fund" in html
    assert Contribution.objects.count() == 0  # the review writes nothing

    data = {"amount": "150.50", "target": "", "form_key": key}
    first = client.post(urls(group)[1], data)
    second = client.post(urls(group)[1], data)  # a double click, or the back button and resubmit

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/groups/{group.pk}/"
    [contribution] = Contribution.objects.filter(group=group)
    assert contribution.amount == Decimal("150.50")
    assert contribution.transaction.status == TransactionToken.Status.COMPLETED
    assert (pot(group), wallet(member)) == (Decimal("150.50"), Decimal("49.50"))
    assert IdempotencyRecord.objects.filter(user=member, key=f"web:{key}").count() == 1
    assert "USD 150.50" in client.get(f"/groups/{group.pk}/").content.decode()


def test_contributing_to_a_target_moves_its_progress(browser_for, group, member):
    target = GroupTargetFactory(group=group, name="Flights", target_amount=Decimal("100.00"))
    client = browser_for(member)
    _, key = review(client, group, "40", target=str(target.pk))
    client.post(urls(group)[1], {"amount": "40.00", "target": str(target.pk), "form_key": key})
    target.refresh_from_db()
    assert target.current_amount == Decimal("40.00")
    assert "USD 40.00 of USD 100.00 (40%)" in client.get(f"/groups/{group.pk}/").content.decode()


@pytest.mark.parametrize(
    "amount, message",
    [
        ("10.005", "at most two decimals"),
        ("-5", "greater than zero"),
        ("0", "greater than zero"),
        ("", "This field is required."),
        ("1000000.01", "at once is 1,000,000.00"),
        ("12abc", "in numbers"),
        ("200.01", "Your balance is USD 200.00"),
    ],
)
def test_bad_amounts_are_refused_next_to_the_field(browser_for, group, member, unchanged, amount, message):
    with unchanged():
        response, key = review(browser_for(member), group, amount)
    html = response.content.decode()
    assert response.status_code == 200 and key is None
    assert 'id="id_amount_error"' in html and message in html


def test_a_confirm_with_bad_values_or_no_key_writes_nothing(browser_for, group, member, unchanged):
    client = browser_for(member)
    with unchanged():
        for data in (
            {"amount": "10.00"},
            {"amount": "10.00", "form_key": "not-a-key"},
            {"amount": "-1", "form_key": "0b7f7d58-7f8e-4a4c-9d0a-0d6cb1b9b0a1"},
        ):
            response = client.post(urls(group)[1], data)
            assert response.status_code == 200
            assert "error-summary" in response.content.decode()


def test_insufficient_funds_at_confirm_is_shown_and_only_a_failed_record_is_kept(browser_for, group, member, unchanged):
    client = browser_for(member)
    _, key = review(client, group, "150")
    _, other = review(client, group, "100")
    client.post(urls(group)[1], {"amount": "150.00", "target": "", "form_key": key})
    with unchanged(transactions=False):
        response = client.post(urls(group)[1], {"amount": "100.00", "target": "", "form_key": other})
    assert response.status_code == 200
    assert "Insufficient balance" in response.content.decode()
    assert Contribution.objects.count() == 1
    assert wallet(member) == Decimal("50.00")


def test_a_closed_group_refuses_with_a_message(browser_for, group, admin, member, unchanged):
    client = browser_for(member)
    _, key = review(client, group, "10")
    group_close(group=group, admin=admin)
    with unchanged():
        response = client.post(urls(group)[1], {"amount": "10.00", "target": "", "form_key": key})
    assert response.status_code == 200
    assert "This group is closed." in response.content.decode()


def test_non_members_get_404_and_move_nothing(browser_for, group, outsider, unchanged):
    client = browser_for(outsider)
    with unchanged():
        assert client.get(urls(group)[0]).status_code == 404
        assert client.post(urls(group)[0], {"amount": "5"}).status_code == 404
        data = {"amount": "5.00", "form_key": "0b7f7d58-7f8e-4a4c-9d0a-0d6cb1b9b0a1"}
        assert client.post(urls(group)[1], data).status_code == 404


def test_the_edit_link_keeps_the_values(browser_for, group, member):
    client = browser_for(member)
    response, _ = review(client, group, "25.5")
    assert f"/groups/{group.pk}/contribute/?amount=25.50" in response.content.decode()
    edit = client.get(f"/groups/{group.pk}/contribute/?amount=25.50")
    assert 'value="25.50"' in edit.content.decode()
