"""What the group views share: how a service's refusal becomes a page, and the few reads every
group page needs. The rules themselves are in comrade.groups.services."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from comrade.core.errors import ApplicationError, NotFound
from comrade.groups import selectors
from comrade.groups.models import ApprovalRequest, GroupMembers, PaymentGroups
from comrade.web.once import add_error

ACCESS_CODES = ("not_group_admin", "not_group_approver")


def raise_access(error: ApplicationError) -> None:
    """Another user's group is a 404 and a member without the rights gets 403, as in the API;
    every other refusal is shown on the page."""
    if isinstance(error, NotFound):
        raise Http404(error.message)
    if error.code in ACCESS_CODES:
        raise PermissionDenied(error.message)


def refuse(form, error: ApplicationError) -> None:
    raise_access(error)
    add_error(form, error)


def group_or_404(user, pk) -> PaymentGroups:
    try:
        return selectors.group_for(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def admin_group_or_403(user, pk) -> PaymentGroups:
    """The pages of admin actions: 404 for non-members, 403 for members who are not admins."""
    group = group_or_404(user, pk)
    if group.my_role != GroupMembers.Role.ADMIN:
        raise PermissionDenied("Only an admin of this group may do this.")
    return group


def form_page(request, template: str, context: dict, form) -> object:
    """Re-render a form; with errors it answers 200 (htmx 2 swaps only 2xx) and the template
    starts the title with "Error:"."""
    return render(request, template, {**context, "form": form})


def pending_message(outcome_request: ApprovalRequest) -> str:
    needed = outcome_request.group.approvals_required
    return (
        f"Request sent: this group needs {needed} approvals, so nothing happens until "
        f"{needed} other admins or treasurers approve it. Waiting for {needed} approvals."
    )
