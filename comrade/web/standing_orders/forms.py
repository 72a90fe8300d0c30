from django import forms
from django.contrib.auth import get_user_model

from comrade.groups.selectors import groups_of
from comrade.standing_orders.models import StandingOrder
from comrade.web.fields import AmountField
from comrade.web.once import OnceField

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StandingOrderForm(forms.Form):
    """The terms a person types; the service checks the rules (dates, payee, not yourself)."""

    email = forms.EmailField(
        label="Pay to (email)", required=False, help_text="We show the person's name before you confirm."
    )
    group = forms.TypedChoiceField(label="Or save into a group", required=False, coerce=int, empty_value=None)
    amount = AmountField(label="Amount each time")
    frequency = forms.ChoiceField(label="How often", choices=StandingOrder.Frequency.choices)
    start_date = forms.DateField(label="First payment", widget=DATE)
    end_date = forms.DateField(label="Last payment (optional)", required=False, widget=DATE)
    description = forms.CharField(label="Reference (optional)", max_length=255, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        groups = groups_of(user).filter(closed_at__isnull=True).values_list("pk", "name")
        if groups:
            self.fields["group"].choices = [("", "No group: pay the person above")] + list(groups)
        else:
            del self.fields["group"]
        self.recipient = None

    def clean_email(self):
        """The email names the person; whether they may be paid is the service's rule."""
        email = self.cleaned_data["email"]
        if email:
            self.recipient = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
            if self.recipient is None:
                raise forms.ValidationError("Nobody with this email uses Comrade Pay.", code="unknown_recipient")
        return email

    def terms(self) -> dict:
        """The service's keyword arguments."""
        data = self.cleaned_data
        return {
            "recipient_id": self.recipient.pk if self.recipient else None,
            "group_id": data.get("group"),
            "amount": data["amount"],
            "frequency": data["frequency"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "description": data["description"],
        }


class EditStandingOrderForm(forms.Form):
    """What can change on an order (the payee stays; set up a new order for another payee)."""

    amount = AmountField(label="Amount each time")
    frequency = forms.ChoiceField(label="How often", choices=StandingOrder.Frequency.choices)
    start_date = forms.DateField(label="First payment", widget=DATE)
    end_date = forms.DateField(label="Last payment (optional)", required=False, widget=DATE)
    description = forms.CharField(label="Reference (optional)", max_length=255, required=False)


class ConfirmStandingOrderForm(StandingOrderForm):
    form_key = OnceField()


FIELD_OF = {"recipient": "email", "payment_method": None}


def place(error, form: forms.Form) -> None:
    """Put a service refusal next to the field the person typed (the service names `recipient`
    where the form asks for an email)."""
    fields = {FIELD_OF.get(name, name): value for name, value in error.fields.items()}
    placed = False
    for name, messages in fields.items():
        if name in form.fields and name not in form.errors:
            for message in messages if isinstance(messages, list) else [messages]:
                form.add_error(name, str(message))
            placed = True
    if not placed:
        form.add_error(None, error.message)
