"""Integer query parameters take ASCII digits only, within bounds, or answer 400."""

import pytest

from comrade.commerce.params import query_int
from comrade.core.errors import ApplicationError

pytestmark = pytest.mark.django_db
URL = "/payments/products/recommendations/"


@pytest.mark.parametrize(
    "bad", ["²", "٣", "３", "1²", "-1", "+5", " 5", "5 ", "1e1", "5.0", "0", "51", "0051", "9" * 400, "x"]
)
def test_recommendations_limit_refuses_anything_but_ascii_digits_in_range(api, bad):
    """Regression: "²" passed isdigit() and then int() raised, a 500."""
    response = api.get(URL, {"limit": bad})
    assert response.status_code == 400, bad
    assert response.data["code"] == "invalid" and list(response.data["fields"]) == ["limit"]


def test_recommendations_limit_accepts_plain_numbers_and_defaults_when_empty(api):
    assert api.get(URL, {"limit": "50"}).status_code == 200
    assert api.get(URL, {"limit": ""}).status_code == 200
    assert api.get(URL).status_code == 200


def test_query_int_bounds_and_default():
    assert query_int({}, "n", default=7, low=1, high=9) == 7
    assert query_int({"n": "09"}, "n", default=7, low=1, high=10) == 9
    with pytest.raises(ApplicationError):
        query_int({"n": "10"}, "n", default=7, low=1, high=9)
