"""The wallet's forms. They check what a person typed (an amount people write, an email that
names a registered person); the services decide everything else (funds, limits, providers)."""

from django import forms
from django.contrib.auth import get_user_model

from comrade.web.fields import AmountField
from comrade.web.once import OnceField


class SendForm(forms.Form):
    recipient = forms.EmailField(
        label="Recipient's email",
        max_length=254,
        help_text="The email they registered with. You will see their name before anything is sent.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    amount = AmountField(label="Amount")
    description = forms.CharField(
        label="What is it for? (optional)", max_length=255, required=False, help_text="They will see this."
    )

    def __init__(self, *args, sender=None, **kwargs):
        self.sender = sender
        super().__init__(*args, **kwargs)

    def clean_recipient(self):
        email = self.cleaned_data["recipient"]
        person = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if person is None:
            raise forms.ValidationError(
                "No one is registered with this email. Check it, or invite them to join Comrade Pay.",
                code="unknown_receiver",
            )
        if self.sender is not None and person.pk == self.sender.pk:
            raise forms.ValidationError("You cannot send money to yourself.", code="self_transfer")
        self.cleaned_data["receiver"] = person
        return person.email


class ConfirmSendForm(SendForm):
    """The review page's form: the same values, hidden, with the key that makes it run once."""

    form_key = OnceField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("recipient", "amount", "description"):
            self.fields[name].widget = forms.HiddenInput()


class ExternalForm(forms.Form):
    """A top-up or a withdrawal through one of the enabled providers."""

    provider = forms.ChoiceField(label="Method", widget=forms.RadioSelect)
    amount = AmountField(label="Amount")
    phone_number = forms.CharField(
        label="M-Pesa phone number",
        max_length=20,
        required=False,
        help_text="Only for M-Pesa: the number that gets the payment prompt, for example 254712345678.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    destination = forms.CharField(
        label="Pay out to",
        max_length=255,
        required=False,
        help_text="Where the provider sends the money: an account, a card token or a phone number.",
    )

    # Only for a withdrawal by bank transfer (provider "bank"): which saved account, and when.
    bank_account = forms.TypedChoiceField(label="Bank account", coerce=int, required=False)
    execution_date = forms.DateField(
        label="Pay on (optional)",
        required=False,
        help_text="Leave it empty to pay as soon as possible, or pick a day in the next 30 days.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, providers: list[dict], withdrawal: bool, bank_accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.providers = providers
        self.bank = withdrawal and any(p["name"] == "bank" for p in providers)
        self.fields["provider"].choices = [(p["name"], p["display_name"]) for p in providers]
        if len(providers) == 1:
            self.fields["provider"].initial = providers[0]["name"]
        if withdrawal:
            # a bank withdrawal pays a saved account instead (checked in clean)
            self.fields["destination"].required = not self.bank
        else:
            del self.fields["destination"]
        if self.bank:
            self.fields["bank_account"].choices = [("", "Choose an account")] + [
                (a.pk, f"{a.holder_name}, IBAN ending {a.iban[-4:]}") for a in bank_accounts
            ]
        else:
            del self.fields["bank_account"]
            del self.fields["execution_date"]
        if not any(p["name"] == "mpesa" for p in providers):
            del self.fields["phone_number"]

    def clean_phone_number(self):
        phone = self.cleaned_data.get("phone_number", "").strip().replace(" ", "").lstrip("+")
        if phone and not phone.isdigit():
            raise forms.ValidationError("Enter the phone number in digits, for example 254712345678.")
        return phone

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("provider") == "mpesa" and "phone_number" in self.fields and not cleaned.get("phone_number"):
            self.add_error("phone_number", "Enter the phone number that should get the M-Pesa prompt.")
        if self.bank:
            self._clean_bank(cleaned)
        return cleaned

    def _clean_bank(self, cleaned):
        if cleaned.get("provider") != "bank":
            if not cleaned.get("destination") and "destination" not in self.errors:
                self.add_error("destination", self.fields["destination"].error_messages["required"])
            return
        if len(self.fields["bank_account"].choices) == 1:
            self.add_error("bank_account", "You have no saved bank account yet. Add one, then withdraw to it.")
        elif not cleaned.get("bank_account") and "bank_account" not in self.errors:
            self.add_error("bank_account", "Choose the account to pay the money into.")


class ConfirmExternalForm(ExternalForm):
    form_key = OnceField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "form_key":
                field.widget = forms.HiddenInput()
