from django import forms

from comrade.gateways.registry import enabled_providers


class AddMethodForm(forms.Form):
    """The API's PaymentMethodSerializer: a provider, its token (or, for M-Pesa, the phone
    number money goes to) and an optional label. The service checks the rest."""

    provider = forms.ChoiceField(label="Provider")
    token = forms.CharField(
        label="Token or destination",
        max_length=255,
        help_text="The provider's token (e.g. pm_…) or, for M-Pesa, a phone number like 254712345678. "
        "Never a card number.",
    )
    label = forms.CharField(label="Label (optional)", max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(p["name"], p["display_name"]) for p in enabled_providers()]
        self.fields["token"].widget.attrs["autocomplete"] = "off"


class MethodIdForm(forms.Form):
    method_id = forms.CharField(max_length=64)
