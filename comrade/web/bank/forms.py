"""Adding a saved bank account. The form only takes what was typed; the service
(`bank_account_create`, as the API) checks the IBAN and BIC with schwifty."""

from django import forms


class BankAccountForm(forms.Form):
    holder_name = forms.CharField(
        label="Account holder's name",
        max_length=200,
        help_text="As the bank knows it.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    iban = forms.CharField(
        label="IBAN",
        max_length=64,
        help_text="For example DE89 3704 0044 0532 0130 00. Spaces are fine.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    bic = forms.CharField(
        label="BIC (optional)",
        max_length=20,
        required=False,
        help_text="Leave it empty and we look it up from the IBAN where we can.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
