from django import forms

from comrade.commerce.services.purchases import MAX_QUANTITY
from comrade.web.fields import QuantityField
from comrade.web.once import OnceField
from comrade.web.templatetags.money import money

ORDERING = [("", "Name"), ("price", "Price: low to high"), ("-price", "Price: high to low"), ("-created_at", "Newest")]


class ProductSearchForm(forms.Form):
    """The API's product filters (ProductFilter, SearchFilter on name, OrderingFilter) as GET
    parameters; the prices are checked by the filterset itself."""

    search = forms.CharField(label="Search", required=False, max_length=100)
    category = forms.ChoiceField(label="Category", required=False)
    min_price = forms.CharField(label="Lowest price", required=False, max_length=20)
    max_price = forms.CharField(label="Highest price", required=False, max_length=20)
    ordering = forms.ChoiceField(label="Sort by", required=False, choices=ORDERING)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "All categories")] + [(c, c) for c in categories]
        for name in ("min_price", "max_price"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"


class BuyForm(forms.Form):
    """The quantity, and where the money comes from: the wallet, or the pot of a purchase group
    the buyer administers (`groups`, the only choices accepted: a forged group is refused)."""

    quantity = QuantityField(label="Quantity", min_value=1, max_value=MAX_QUANTITY, initial=1)
    group = forms.TypedChoiceField(
        label="Pay from", required=False, coerce=int, empty_value=None, widget=forms.RadioSelect
    )

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", "My wallet")] + [
            (group.pk, f"{group.name} group pot ({money(group.pot.balance)})") for group in groups
        ]


class ConfirmBuyForm(BuyForm):
    form_key = OnceField()
