"""Group pages for members: my groups and invitations, creating a group, the group page,
contributing (form, review, confirm), inviting and answering an invitation. Each view validates a
form and calls the service or selector the API calls (comrade/groups/api.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comrade.core.errors import ApplicationError, NotFound
from comrade.groups import dues_selectors, progress, selectors, services
from comrade.groups.models import ApprovalRequest, GroupInvitation, GroupMembers
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.web.groups import forms
from comrade.web.groups.common import group_or_404, raise_access, refuse
from comrade.web.groups.describe import describe_request
from comrade.web.once import new_key, submit_once
from comrade.web.templatetags.money import money

Status = TransactionToken.Status


@login_required
@require_GET
def group_list(request):
    return _list_page(request, forms.GroupCreateForm())


def _list_page(request, create_form, status=200):
    groups = list(selectors.groups_of(request.user))
    try:
        invitations = [
            i
            for i in selectors.invitations_for(request.user).filter(status=GroupInvitation.Status.PENDING)
            if i.expires_at > timezone.now()
        ]
        unverified = False
    except ApplicationError:
        invitations, unverified = [], True
    context = {"groups": groups, "invitations": invitations, "unverified": unverified, "form": create_form}
    return render(request, "web/groups/list.html", context, status=status)


@login_required
@require_POST
def group_create(request):
    form = forms.GroupCreateForm(request.POST)
    if form.is_valid():
        try:
            group = services.group_create(admin=request.user, **form.cleaned_data)
        except ApplicationError as error:
            refuse(form, error)
        else:
            messages.success(request, f"{group.name} is ready. Invite people to join it.")
            return redirect("groups:detail", pk=group.pk)
    return _list_page(request, form)


@login_required
@require_GET
def group_detail(request, pk):
    group = group_or_404(request.user, pk)
    members = list(selectors.members_of(group))
    me = next(m for m in members if m.user_id == request.user.pk)
    targets = list(selectors.targets_of(request.user).filter(group=group).order_by("id"))
    approvals = list(selectors.approval_requests_of(group, status=ApprovalRequest.Status.PENDING))
    context = {
        "group": group,
        "me": me,
        "is_admin": me.role == GroupMembers.Role.ADMIN,
        "is_approver": me.is_approver,
        "members": members,
        "group_progress": progress.group_progress(group),
        "targets": [(t, progress.target_progress(t)) for t in targets],
        "rotation": [m for m in sorted(members, key=lambda m: m.payout_position or 0) if m.payout_position],
        "next_payee": dues_selectors.next_in_rotation(group),
        "status": dues_selectors.rotation_status(group),
        "dues": progress.dues_status(group, request.user),
        "approvals": [(a, describe_request(a), _approvals_of(a), _may_decide(a, request.user)) for a in approvals],
        "invitations": list(selectors.invitations_of_group(group).filter(status=GroupInvitation.Status.PENDING)),
        "contributions": list(selectors.contributions_of(group).select_related("member")[:10]),
        "reject_form": forms.RejectForm(),
        "join_link": request.build_absolute_uri(reverse("groups:join", args=[group.pk])),
    }
    return render(request, "web/groups/detail.html", context)


def _approvals_of(approval: ApprovalRequest) -> int:
    return sum(1 for d in approval.decisions.all() if d.decision == "APPROVE")


def _may_decide(approval: ApprovalRequest, user) -> bool:
    """Whether to offer Approve/Reject: not on one's own request, nor twice (the service decides)."""
    return approval.requested_by_id != user.pk and all(d.approver_id != user.pk for d in approval.decisions.all())


# --- contributing: form -> review -> confirm (once) ---


@login_required
@require_http_methods(["GET", "POST"])
def contribute(request, pk):
    """GET: the form (an Edit link from the review keeps the values). POST: the review page."""
    group = group_or_404(request.user, pk)
    targets = _open_targets(request.user, group)
    data = request.POST if request.method == "POST" else (request.GET if "amount" in request.GET else None)
    form = forms.ContributeForm(data, targets=targets)
    if data is not None and form.is_valid():
        amount = form.cleaned_data["amount"]
        balance = balance_of(request.user)
        if amount > balance:
            form.add_error(
                "amount", f"Your balance is {money(balance, group.currency)}; enter at most that, or top up."
            )
        elif request.method == "POST":
            confirm = forms.ContributeConfirmForm(initial={**form.cleaned_data, "form_key": new_key()}, targets=targets)
            return _review(request, group, confirm, amount, balance, _target_named(targets, form.cleaned_data))
    return render(request, "web/groups/contribute.html", {"group": group, "form": form})


def _review(request, group, form, amount, balance, target):
    context = {
        "group": group,
        "form": form,
        "amount": amount,
        "balance": balance,
        "balance_after": balance - amount,
        "pot_after": group.pot.balance + amount,
        "target": target,
        "edit_url": f"{reverse('groups:contribute', args=[group.pk])}?amount={amount}"
        + (f"&target={target.pk}" if target else ""),
    }
    return render(request, "web/groups/contribute_review.html", context)


@login_required
@require_POST
def contribute_confirm(request, pk):
    group = group_or_404(request.user, pk)
    targets = _open_targets(request.user, group)
    form = forms.ContributeConfirmForm(request.POST, targets=targets)
    if form.is_valid():
        fields = form.cleaned_data
        target = _target_named(targets, fields)
        try:
            url = submit_once(
                request,
                key=fields["form_key"],
                data={"amount": fields["amount"], "target": fields["target"]},
                work=lambda: _contribute(request, group, fields["amount"], target),
            )
        except ApplicationError as error:
            refuse(form, error)
        else:
            messages.success(
                request, f"Thank you: your contribution of {money(fields['amount'], group.currency)} is in."
            )
            return redirect(url)
    return render(request, "web/groups/contribute.html", {"group": group, "form": form}, status=200)


def _contribute(request, group, amount, target) -> str:
    txn = services.group_contribute(group=group, user=request.user, amount=amount, target=target)
    if txn.status != Status.COMPLETED:
        raise ApplicationError(
            "insufficient_funds",
            txn.failure_reason or "The payment failed.",
            fields={"amount": ["Insufficient balance."]},
        )
    return reverse("groups:detail", args=[group.pk])


def _open_targets(user, group):
    return list(selectors.targets_of(user).filter(group=group, is_achieved=False).order_by("id"))


def _target_named(targets, fields):
    wanted = fields.get("target")
    return next((t for t in targets if t.pk == wanted), None)


@login_required
@require_http_methods(["GET", "POST"])
def leave(request, pk):
    """A member leaves and takes their balance with them (the API's leave action). A repeat of
    the same confirmation replays the first answer, although the user is no longer a member."""
    form = forms.KeyForm(request.POST or None, initial={"form_key": new_key()})
    if request.method == "POST" and form.is_valid():
        group = selectors.groups_of(request.user).filter(pk=pk).first()
        try:
            url = submit_once(request, key=form.cleaned_data["form_key"], data={}, work=lambda: _leave(request, group))
        except ApplicationError as error:
            refuse(form, error)
        else:
            return redirect(url)
    group = group_or_404(request.user, pk)
    me = next(m for m in selectors.members_of(group) if m.user_id == request.user.pk)
    balance = max(me.total_contributed - me.total_received, 0)
    return render(request, "web/groups/leave.html", {"group": group, "form": form, "balance": balance})


def _leave(request, group) -> str:
    if group is None:
        raise NotFound("No such payment group.")
    refund = services.group_leave(group=group, user=request.user)
    if refund is not None and refund.status != Status.COMPLETED:
        raise ApplicationError("refund_failed", refund.failure_reason or "The refund failed.")
    messages.success(request, f"You left {group.name}.")
    return reverse("groups:list")


@login_required
@require_http_methods(["GET", "POST"])
def join(request, pk):
    """Join an open group (or one I am invited to) by its link, as the API's join action."""
    try:
        group = selectors.joinable_group(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if GroupMembers.objects.filter(group=group, user=request.user).exists():
        return redirect("groups:detail", pk=group.pk)
    error = None
    if request.method == "POST":
        try:
            services.group_join(group=group, user=request.user)
        except ApplicationError as refused:
            raise_access(refused)
            error = refused.message
        else:
            messages.success(request, f"Welcome to {group.name}.")
            return redirect("groups:detail", pk=group.pk)
    return render(request, "web/groups/join.html", {"group": group, "error": error})


# --- invitations ---


@login_required
@require_http_methods(["GET", "POST"])
def invite(request, pk):
    group = group_or_404(request.user, pk)
    form = forms.InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["invitee_email"]
        try:
            result = services.group_invite(group=group, inviter=request.user, invitee_email=email)
        except ApplicationError as error:
            refuse(form, error)
        else:
            sent = "We emailed an invitation to" if result.created else "We emailed the pending invitation again to"
            messages.success(request, f"{sent} {result.invitation.invitee_email}.")
            return redirect("groups:detail", pk=group.pk)
    return render(request, "web/groups/invite.html", {"group": group, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def invitation_cancel(request, pk, invitation_id):
    group = group_or_404(request.user, pk)
    invitation = selectors.invitations_of_group(group).filter(pk=invitation_id).first()
    if invitation is None:
        raise_access(NotFound("No such invitation."))
    error = None
    if request.method == "POST":
        try:
            services.invitation_cancel(group=group, user=request.user, invitation_id=invitation.pk)
        except ApplicationError as refused:
            raise_access(refused)
            error = refused.message
        else:
            messages.success(request, f"The invitation to {invitation.invitee_email} is cancelled.")
            return redirect("groups:detail", pk=group.pk)
    context = {"group": group, "invitation": invitation, "error": error}
    return render(request, "web/groups/invitation_cancel.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request, key):
    """The page the emailed link opens (by token), or an invitation from my list (by id): the
    group, who invited me, Accept and Decline. Found and answered as the API does."""
    try:
        found = selectors.invitation_for(request.user, key)
    except ApplicationError as error:
        raise_access(error)
        return render(request, "web/groups/invitation.html", {"error": error.message}, status=403)
    error = None
    if request.method == "POST":
        token = selectors.invitation_token_in(key)
        try:
            if request.POST.get("answer") == "accept":
                services.invitation_accept(invitation=found, user=request.user, token=token)
                messages.success(request, f"Welcome to {found.group.name}.")
                return redirect("groups:detail", pk=found.group_id)
            services.invitation_decline(invitation=found, user=request.user, token=token)
            messages.success(request, f"You declined the invitation to {found.group.name}.")
            return redirect("groups:list")
        except ApplicationError as refused:
            raise_access(refused)
            error = refused.message
    pending = found.status == GroupInvitation.Status.PENDING and found.expires_at > timezone.now()
    context = {"invitation": found, "pending": pending, "error": error}
    return render(request, "web/groups/invitation.html", context)
