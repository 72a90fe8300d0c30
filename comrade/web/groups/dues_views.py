"""Dues and the rotation round: the schedule (admins), the dues overview (a member sees their own
rows, an admin everyone's: dues_selectors.dues_for decides), waiving a fine through a confirmation
page, and the rotation settings. Each view calls the service the API calls (comrade/groups/dues_api.py);
non-members get 404 and members without the rights 403, as in the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from comrade.core.errors import ApplicationError
from comrade.groups import dues_selectors
from comrade.groups.models import DuesSchedule
from comrade.groups.services.dues import ScheduleTerms, dues_fine_waive, dues_schedule_set
from comrade.groups.services.rounds import rotation_settings_set
from comrade.web.groups import forms
from comrade.web.groups.common import admin_group_or_403, group_or_404, refuse

SCHEDULE_FIELDS = [
    "amount",
    "frequency",
    "interval_days",
    "first_due_date",
    "grace_days",
    "fine_kind",
    "fine_value",
    "remind_days_before",
    "remind_on_arrears",
]

# The service's words name API fields; on the page the same refusals are said in the form's words.
PLAIN_WORDS = {
    ("interval_days", "required"): "Enter the number of days between due dates for “Every few days”.",
    ("fine_value", "invalid"): "Choose a fixed or percentage fine, or leave the fine empty.",
}


def _refuse_schedule(form, error: ApplicationError) -> None:
    for name in list(error.fields):
        words = PLAIN_WORDS.get((name, error.code))
        if words is not None:
            error.fields[name] = [words]
    refuse(form, error)


@login_required
@require_http_methods(["GET", "POST"])
def dues_schedule(request, pk):
    group = admin_group_or_403(request.user, pk)
    schedule = DuesSchedule.objects.filter(group=group).first()
    initial = {name: getattr(schedule, name) for name in SCHEDULE_FIELDS} if schedule else None
    form = forms.DuesScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            dues_schedule_set(group=group, admin=request.user, terms=ScheduleTerms(**form.cleaned_data))
        except ApplicationError as error:
            _refuse_schedule(form, error)
        else:
            messages.success(request, "The dues schedule is saved.")
            return redirect("groups:dues", pk=group.pk)
    context = {"group": group, "form": form, "schedule": schedule}
    return render(request, "web/groups/dues_schedule.html", context)


@login_required
@require_GET
def dues(request, pk):
    group = group_or_404(request.user, pk)
    view = dues_selectors.dues_for(group, request.user)
    context = {
        "group": group,
        "schedule": DuesSchedule.objects.filter(group=group).first(),
        "members": view.members,
        "obligations": list(view.obligations),
        "is_admin": group.my_role == "ADMIN",
        "today": timezone.localdate(),
    }
    return render(request, "web/groups/dues.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def dues_waive(request, pk, obligation_id):
    group = admin_group_or_403(request.user, pk)
    obligation = dues_selectors.dues_for(group, request.user).obligations.filter(pk=obligation_id).first()
    if obligation is None:
        raise Http404("No such obligation in this group.")
    form = forms.WaiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dues_fine_waive(
                group=group, admin=request.user, obligation_id=obligation.pk, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            refuse(form, error)
        else:
            messages.success(request, f"The fine of {obligation.user.email} is waived.")
            return redirect("groups:dues", pk=group.pk)
    context = {"group": group, "form": form, "obligation": obligation}
    return render(request, "web/groups/dues_waive.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rotation_settings(request, pk):
    group = admin_group_or_403(request.user, pk)
    initial = {"rotation_requires_full_round": group.rotation_requires_full_round, "rotation_auto": group.rotation_auto}
    form = forms.RotationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rotation_settings_set(
                group=group,
                admin=request.user,
                requires_full_round=form.cleaned_data["rotation_requires_full_round"],
                auto=form.cleaned_data["rotation_auto"],
            )
        except ApplicationError as error:
            refuse(form, error)
        else:
            messages.success(request, "The rotation settings are saved.")
            return redirect("groups:detail", pk=group.pk)
    context = {"group": group, "form": form, "status": dues_selectors.rotation_status(group)}
    return render(request, "web/groups/rotation_settings.html", context)
