"""Admin actions on a group, each through a confirmation page that says what will happen: payout,
rotation payout and its order, roles, removal, close, targets; and deciding approval requests.

Where the group requires several approvals, the same call the API makes
(`services.approval_request_or_run`) records a request instead of acting, and the page says how
many approvals it waits for. Non-members get 404 and members without the rights 403, as in the API."""

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from comrade.core.errors import ApplicationError
from comrade.groups import dues_selectors, selectors, services
from comrade.groups.models import ApprovalRequest, GroupMembers
from comrade.groups.services.common import member_of
from comrade.ledger.models import TransactionToken
from comrade.web.groups import forms
from comrade.web.groups.common import admin_group_or_403, group_or_404, pending_message, raise_access, refuse
from comrade.web.once import new_key, submit_once
from comrade.web.templatetags.money import money

Action = ApprovalRequest.Action


def _hidden(form):
    for field in form.fields.values():
        field.widget = django_forms.HiddenInput()
    return form


def _fresh_key(form):
    """A refused confirmation is shown again with a new key, so trying again is a new submission."""
    if form.is_bound:
        data = form.data.copy()
        data["form_key"] = new_key()
        form.data = data
    return form


def _confirm_page(request, group, *, title, consequences, form, action_url, button, danger=True, status=200):
    context = {
        "group": group,
        "title": title,
        "consequences": consequences,
        "form": form,
        "action_url": action_url,
        "button": button,
        "danger": danger,
        "approvals_required": group.approvals_required,
    }
    return render(request, "web/groups/confirm.html", context, status=status)


def _run(request, group, action: str, params: dict, done: str) -> str:
    """One service call, as the API's `_request_or_run`; returns where to go next."""
    outcome = services.approval_request_or_run(group=group, requester=request.user, action=action, params=params)
    if outcome.request is not None:
        messages.info(request, pending_message(outcome.request))
        return reverse("groups:detail", args=[group.pk])
    failed = outcome.result if isinstance(outcome.result, TransactionToken) else None
    if failed is not None and failed.status == TransactionToken.Status.FAILED:
        raise ApplicationError(
            "insufficient_funds", failed.failure_reason or "The payment failed.", fields={"amount": ["Not enough."]}
        )
    messages.success(request, done)
    return reverse("groups:detail", args=[group.pk])


def _once(request, form, group, action, params, done) -> str:
    return submit_once(
        request, key=form.cleaned_data["form_key"], data=params, work=lambda: _run(request, group, action, params, done)
    )


# --- payout ---


@login_required
@require_http_methods(["GET", "POST"])
def payout(request, pk):
    group = admin_group_or_403(request.user, pk)
    members = list(selectors.members_of(group))
    form = forms.PayoutForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        fields = form.cleaned_data
        if fields["amount"] > group.pot.balance:
            form.add_error("amount", f"The pot holds {money(group.pot.balance, group.currency)}.")
        else:
            confirm = _hidden(forms.PayoutConfirmForm(initial={**fields, "form_key": new_key()}, members=members))
            return _payout_review(request, group, members, fields, confirm)
    return render(request, "web/groups/payout.html", {"group": group, "form": form})


def _payout_review(request, group, members, fields, confirm):
    person = forms.member_label(next(m for m in members if m.user_id == fields["user_id"]))
    amount = money(fields["amount"], group.currency)
    consequences = [
        f"{amount} leaves the group's pot and goes to the wallet of {person}.",
        f"The pot will hold {money(group.pot.balance - fields['amount'], group.currency)}.",
        "This cannot be undone from here.",
    ]
    return _confirm_page(
        request,
        group,
        title=f"Pay {amount} to {_short(members, fields['user_id'])}?",
        consequences=consequences,
        form=confirm,
        action_url=reverse("groups:payout_confirm", args=[group.pk]),
        button=f"Pay {amount} to {_short(members, fields['user_id'])}",
    )


def _short(members, user_id) -> str:
    user = next(m.user for m in members if m.user_id == user_id)
    return user.get_full_name() or user.email


@login_required
@require_POST
def payout_confirm(request, pk):
    group = admin_group_or_403(request.user, pk)
    members = list(selectors.members_of(group))
    form = forms.PayoutConfirmForm(request.POST, members=members)
    if form.is_valid():
        params = {k: form.cleaned_data[k] for k in ("user_id", "amount", "description")}
        done = f"Paid {money(params['amount'], group.currency)} from the pot."
        try:
            return redirect(_once(request, form, group, Action.PAYOUT, params, done))
        except ApplicationError as error:
            refuse(form, error)
    editable = forms.PayoutForm(request.POST, members=members)
    editable.is_valid()
    for field, errors in form.errors.items():
        if field not in editable.errors:
            for error in errors:
                editable.add_error(None if field == "form_key" else field, error)
    return render(request, "web/groups/payout.html", {"group": group, "form": editable})


# --- rotation ---


@login_required
@require_http_methods(["GET", "POST"])
def rotation_payout(request, pk):
    group = admin_group_or_403(request.user, pk)
    next_payee = dues_selectors.next_in_rotation(group)
    if request.method == "POST":
        form = forms.RotationPayoutConfirmForm(request.POST)
        if form.is_valid():
            params = {"amount": form.cleaned_data["amount"]}
            who = forms.member_label(next_payee) if next_payee else "the next member"
            try:
                return redirect(_once(request, form, group, Action.ROTATION_PAYOUT, params, f"Paid {who}."))
            except ApplicationError as error:
                refuse(form, error)
        _fresh_key(form)
    else:
        form = forms.RotationPayoutConfirmForm(initial={"form_key": new_key()})
    pot = money(group.pot.balance, group.currency)
    consequences = (
        [
            f"The next member in the order is {forms.member_label(next_payee)}.",
            f"They receive the amount below, or the whole pot ({pot}) when you leave it empty.",
            "It counts as their payout for this cycle.",
        ]
        if next_payee
        else ["Set the payout order first: nobody is in the order yet."]
    )
    return _confirm_page(
        request,
        group,
        title="Rotation payout",
        consequences=consequences,
        form=form,
        action_url=reverse("groups:rotation_payout", args=[group.pk]),
        button="Pay the next member",
    )


@login_required
@require_http_methods(["GET", "POST"])
def rotation_order(request, pk):
    group = admin_group_or_403(request.user, pk)
    members = list(selectors.members_of(group))
    form = forms.RotationOrderForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            services.group_rotation_set(group=group, admin=request.user, order=form.order())
        except ApplicationError as error:
            refuse(form, error)
        else:
            messages.success(request, "The payout order is saved.")
            return redirect("groups:detail", pk=group.pk)
    return render(request, "web/groups/rotation_order.html", {"group": group, "form": form})


# --- members ---


def _member_or_404(group, user_id) -> GroupMembers:
    try:
        return member_of(group, user_id)
    except ApplicationError as error:
        raise Http404(error.message) from error


@login_required
@require_http_methods(["GET", "POST"])
def member_role(request, pk, user_id):
    group = admin_group_or_403(request.user, pk)
    member = _member_or_404(group, user_id)
    form = forms.RoleForm(request.POST or None, initial={"role": member.role})
    if request.method == "POST" and form.is_valid():
        params = {"user_id": member.user_id, "role": form.cleaned_data["role"]}
        try:
            done = f"{forms.member_label(member)} is now a {params['role'].lower()}."
            url = _run(request, group, Action.SET_ROLE, params, done)
        except ApplicationError as error:
            refuse(form, error)
        else:
            return redirect(url)
    consequences = [
        "Admins run the group: they invite, pay out, change roles, remove members and can close it.",
        "Treasurers approve or reject payouts when the group requires several approvals.",
        "Members contribute and see the group.",
    ]
    return _confirm_page(
        request,
        group,
        title=f"Change the role of {forms.member_label(member)}",
        consequences=consequences,
        form=form,
        action_url=reverse("groups:member_role", args=[group.pk, member.user_id]),
        button="Change the role",
        danger=False,
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request, pk, user_id):
    """The member is looked up inside the once-only work, so a repeat of the same confirmation
    replays the first answer although the member is gone."""
    group = admin_group_or_403(request.user, pk)
    form = forms.KeyForm(request.POST or None, initial={"form_key": new_key()})
    if request.method == "POST" and form.is_valid():
        try:
            return redirect(_once_remove(request, form, group, user_id))
        except ApplicationError as error:
            refuse(form, error)
            _fresh_key(form)
    member = _member_or_404(group, user_id)
    name = forms.member_label(member)
    balance = money(max(member.total_contributed - member.total_received, 0), group.currency)
    consequences = [
        f"{name} leaves the group and no longer sees it.",
        f"Their balance in the group ({balance}, what they contributed minus what the pot paid them) "
        "is refunded to their wallet, or their share of the pot if the pot holds less.",
        "Their past contributions stay in the group's history.",
    ]
    return _confirm_page(
        request,
        group,
        title=f"Remove {name}?",
        consequences=consequences,
        form=_hidden(form),
        action_url=reverse("groups:member_remove", args=[group.pk, user_id]),
        button=f"Remove {name}",
    )


def _once_remove(request, form, group, user_id) -> str:
    params = {"user_id": user_id}

    def work():
        name = forms.member_label(_member_or_404(group, user_id))
        return _run(request, group, Action.REMOVE_MEMBER, params, f"{name} was removed.")

    return submit_once(request, key=form.cleaned_data["form_key"], data=params, work=work)


# --- close ---


@login_required
@require_http_methods(["GET", "POST"])
def close(request, pk):
    group = admin_group_or_403(request.user, pk)
    form = forms.KeyForm(request.POST or None, initial={"form_key": new_key()})
    if request.method == "POST" and form.is_valid():
        try:
            return redirect(
                _once(request, form, group, Action.CLOSE, {}, f"{group.name} is closed; the pot was refunded.")
            )
        except ApplicationError as error:
            refuse(form, error)
            _fresh_key(form)
    consequences = [
        f"The pot ({money(group.pot.balance, group.currency)}) is refunded to the members in proportion "
        "to their balances (what each contributed minus what the pot paid them), to the cent.",
        "Nobody can contribute, join or be paid from the group afterwards; pending invitations stop working.",
        "A closed group cannot be opened again.",
    ]
    return _confirm_page(
        request,
        group,
        title=f"Close {group.name}?",
        consequences=consequences,
        form=_hidden(form),
        action_url=reverse("groups:close", args=[group.pk]),
        button="Close the group and refund",
    )


@login_required
@require_http_methods(["GET", "POST"])
def approvals_required(request, pk):
    group = admin_group_or_403(request.user, pk)
    form = forms.ApprovalsRequiredForm(request.POST or None, initial={"approvals_required": group.approvals_required})
    if request.method == "POST" and form.is_valid():
        params = {"approvals_required": form.cleaned_data["approvals_required"]}
        try:
            url = _run(request, group, Action.SET_APPROVALS_REQUIRED, params, "The approval rule is saved.")
        except ApplicationError as error:
            refuse(form, error)
        else:
            return redirect(url)
    consequences = [
        "With more than 1, every payout, rotation payout, close, removal of a member who holds a balance "
        "and demotion of an approver becomes a request that other admins or treasurers must approve.",
        "Raising the number applies at once; lowering it is itself a request that needs the current approvals.",
        f"Now: {group.approvals_required}.",
    ]
    return _confirm_page(
        request,
        group,
        title="Approvals for payouts",
        consequences=consequences,
        form=form,
        action_url=reverse("groups:approvals_required", args=[group.pk]),
        button="Save",
        danger=False,
    )


# --- targets ---


@login_required
@require_http_methods(["GET", "POST"])
def target_create(request, pk):
    group = admin_group_or_403(request.user, pk)
    form = forms.TargetCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            target = services.target_create(group=group, admin=request.user, **form.cleaned_data)
        except ApplicationError as error:
            refuse(form, error)
        else:
            messages.success(request, f"The target {target.name} is set.")
            return redirect("groups:detail", pk=group.pk)
    return render(request, "web/groups/target_create.html", {"group": group, "form": form})


# --- approvals ---


@login_required
@require_POST
def approval_approve(request, pk, request_id):
    group = group_or_404(request.user, pk)
    try:
        approval = services.approval_approve(group=group, approver=request.user, request_id=request_id)
    except ApplicationError as error:
        raise_access(error)
        messages.error(request, error.message)
    else:
        messages.success(request, _decided(approval))
    return redirect("groups:detail", pk=group.pk)


@login_required
@require_POST
def approval_reject(request, pk, request_id):
    group = group_or_404(request.user, pk)
    form = forms.RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why you reject the request.")
        return redirect("groups:detail", pk=group.pk)
    try:
        services.approval_reject(
            group=group, approver=request.user, request_id=request_id, reason=form.cleaned_data["reason"]
        )
    except ApplicationError as error:
        raise_access(error)
        messages.error(request, error.message)
    else:
        messages.success(request, "You rejected the request; nothing was done.")
    return redirect("groups:detail", pk=group.pk)


def _decided(approval: ApprovalRequest) -> str:
    Status = ApprovalRequest.Status
    if approval.status == Status.EXECUTED:
        return "Approved: that was the last approval needed, and it is done."
    if approval.status == Status.FAILED:
        return f"Approved, but it could not be done: {approval.failure_reason}"
    return "Approved. It still waits for more approvals."
