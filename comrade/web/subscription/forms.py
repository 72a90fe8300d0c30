from django import forms

from comrade import limits
from comrade.web.once import OnceField


class ChangeForm(forms.Form):
    subscription_type = forms.ChoiceField(label="Plan")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription_type"].choices = [(name, name.capitalize()) for name in limits.tiers()]


class ConfirmChangeForm(ChangeForm):
    form_key = OnceField()
