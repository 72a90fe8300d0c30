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

    def __init__(self, *args, providers: list[dict], withdrawal: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.providers = providers
        self.fields["provider"].choices = [(p["name"], p["display_name"]) for p in providers]
        if len(providers) == 1:
            self.fields["provider"].initial = providers[0]["name"]
        if withdrawal:
            self.fields["destination"].required = True
        else:
            del self.fields["destination"]
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
        return cleaned


class ConfirmExternalForm(ExternalForm):
    form_key = OnceField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "form_key":
                field.widget = forms.HiddenInput()
