"""Forms for the group pages. They check the shape of the input (an amount with two decimals, an
email, a date); every business rule stays in comrade.groups.services, whose refusals the views put
next to the field they name."""

from django import forms

from comrade.groups.models import GroupMembers, PaymentGroups
from comrade.web.fields import AmountField
from comrade.web.once import OnceField


class DateInput(forms.DateInput):
    input_type = "date"


class Form(forms.Form):
    """Labels without a trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class GroupCreateForm(Form):
    name = forms.CharField(max_length=120, help_text="What you are saving for, like “Team Vacation 2026”.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    group_type = forms.ChoiceField(
        label="Kind of group",
        choices=[(PaymentGroups.GroupType.SAVINGS, "Savings"), (PaymentGroups.GroupType.PURCHASE, "Purchase")],
        initial=PaymentGroups.GroupType.SAVINGS,
        help_text="Savings: members save together. Purchase: the pot can also buy from the shop.",
    )
    target_amount = AmountField(label="Target (optional)", required=False, help_text="The amount the group aims for.")
    deadline = forms.DateField(
        required=False, widget=DateInput, help_text="Optional. Contributions stop after this day."
    )
    is_open = forms.BooleanField(
        label="Open group",
        required=False,
        help_text="Anyone with the group’s join link may join without an invitation.",
    )


class TargetCreateForm(Form):
    name = forms.CharField(max_length=120, help_text="Like “Flights” or “New roof”.")
    target_amount = AmountField(label="Target amount")
    target_date = forms.DateField(label="Target date (optional)", required=False, widget=DateInput)


class InviteForm(Form):
    invitee_email = forms.EmailField(
        label="Their email address",
        max_length=254,
        help_text="We email them a link to accept or decline.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class ContributeForm(Form):
    amount = AmountField()
    target = forms.TypedChoiceField(
        label="Set aside for", required=False, coerce=int, empty_value=None, choices=[("", "The group's pot")]
    )

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", "The group's pot")] + [(t.pk, t.name) for t in targets]
        if not targets:
            self.fields["target"].widget = forms.HiddenInput()


class ContributeConfirmForm(ContributeForm):
    form_key = OnceField()


class PayoutForm(Form):
    user_id = forms.TypedChoiceField(label="Pay to", coerce=int)
    amount = AmountField()
    description = forms.CharField(max_length=255, required=False, label="What it is for (optional)")

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user_id"].choices = [(m.user_id, member_label(m)) for m in members]


class PayoutConfirmForm(PayoutForm):
    form_key = OnceField()


class RotationPayoutForm(Form):
    amount = AmountField(required=False, label="Amount (optional)", help_text="Leave empty to pay the whole pot.")


class RotationPayoutConfirmForm(RotationPayoutForm):
    form_key = OnceField()


class RotationOrderForm(Form):
    """One position per member; the members are paid in the order of their positions."""

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        for number, m in enumerate(self.members, start=1):
            self.fields[f"position_{m.user_id}"] = forms.IntegerField(
                label=member_label(m), min_value=1, max_value=len(self.members), initial=m.payout_position or number
            )

    def clean(self):
        cleaned = super().clean()
        positions = [cleaned.get(f"position_{m.user_id}") for m in self.members]
        if None not in positions and len(set(positions)) != len(positions):
            raise forms.ValidationError("Give each member a different position.", code="duplicate")
        return cleaned

    def order(self) -> list[int]:
        return [m.user_id for m in sorted(self.members, key=lambda m: self.cleaned_data[f"position_{m.user_id}"])]


class RoleForm(Form):
    role = forms.ChoiceField(
        choices=[
            (GroupMembers.Role.MEMBER, "Member: contributes"),
            (GroupMembers.Role.TREASURER, "Treasurer: contributes and approves payouts"),
            (GroupMembers.Role.ADMIN, "Admin: runs the group and approves payouts"),
        ]
    )


class ApprovalsRequiredForm(Form):
    approvals_required = forms.TypedChoiceField(
        label="Approvals before money leaves the pot",
        coerce=int,
        choices=[(1, "1: an admin alone"), (2, "2 approvals"), (3, "3 approvals")],
        help_text="Admins and treasurers approve; nobody approves their own request.",
    )


class KeyForm(Form):
    """A confirmation that moves money and has nothing else to enter."""

    form_key = OnceField()


class RejectForm(Form):
    reason = forms.CharField(max_length=1000, label="Why you reject it", widget=forms.Textarea(attrs={"rows": 2}))


def member_label(membership: GroupMembers) -> str:
    name = membership.user.get_full_name()
    return f"{name} ({membership.user.email})" if name else membership.user.email


# --- dues and the rotation round ---


class DuesScheduleForm(Form):
    """The shape of DuesScheduleSetSerializer; the rules (fine within the dues, first due date not in
    the past, interval for EVERY_N_DAYS) are checked by dues_schedule_set."""

    amount = AmountField(label="Dues per member", help_text="What each member owes every period.")
    frequency = forms.ChoiceField(
        label="How often",
        choices=[("WEEKLY", "Every week"), ("MONTHLY", "Every month"), ("EVERY_N_DAYS", "Every few days")],
    )
    interval_days = forms.IntegerField(
        label="Days between due dates",
        required=False,
        min_value=1,
        max_value=3660,
        help_text="Only for “Every few days”.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    first_due_date = forms.DateField(label="First due date", widget=DateInput)
    grace_days = forms.IntegerField(
        label="Grace period in days",
        required=False,
        min_value=0,
        max_value=365,
        initial=0,
        help_text="Dues count as late this many days after the due date.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    fine_kind = forms.ChoiceField(
        label="Late fine",
        choices=[("NONE", "No fine"), ("FIXED", "A fixed amount"), ("PERCENT", "A percentage of the dues")],
        initial="NONE",
    )
    fine_value = AmountField(
        label="Fine",
        required=False,
        help_text="An amount (fixed) or a percentage such as 10. Leave empty for no fine.",
    )
    remind_days_before = forms.IntegerField(
        label="Remind members this many days before (optional)",
        required=False,
        min_value=0,
        max_value=365,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    remind_on_arrears = forms.BooleanField(label="Remind members who are late", required=False)

    def clean_grace_days(self):
        value = self.cleaned_data.get("grace_days")
        return 0 if value is None else value


class WaiveForm(Form):
    reason = forms.CharField(
        max_length=1000,
        label="Why you waive the fine",
        help_text="Kept with the fine; the member sees it.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RotationSettingsForm(Form):
    rotation_requires_full_round = forms.BooleanField(
        label="Pay out only when everyone has paid this round's dues", required=False
    )
    rotation_auto = forms.BooleanField(
        label="Pay the next member automatically when the round is complete", required=False
    )
