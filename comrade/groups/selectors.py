"""Reads for payment groups. Groups are visible only to their members (the admin is one);
anyone else gets 404 for a group and everything in it."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from comrade.accounts.services import ensure_email_verified
from comrade.core.errors import NotFound
from comrade.groups.models import (
    ApprovalRequest,
    Contribution,
    GroupInvitation,
    GroupMembers,
    GroupTarget,
    PaymentGroups,
    RotationPayout,
)

INVITATIONS_NEED_VERIFIED_EMAIL = (
    "Verify your email address to see and answer the invitations sent to it, or open the link in the invitation email."
)


def groups_of(user) -> QuerySet[PaymentGroups]:
    """Groups where the user is admin or member, newest first, with the user's role."""
    mine = GroupMembers.objects.filter(group=OuterRef("pk"), user=user)
    return (
        PaymentGroups.objects.filter(Exists(mine))
        .select_related("pot", "admin")
        .annotate(member_count=Count("members", distinct=True), my_role=Subquery(mine.values("role")[:1]))
        .order_by("-id")
    )


def group_for(user, pk) -> PaymentGroups:
    group = groups_of(user).filter(pk=pk).first()
    if group is None:
        raise NotFound("No such payment group.")
    return group


def joinable_group(user, pk) -> PaymentGroups:
    """A group the user may ask to join: open, invited to (pending, unexpired), or already in."""
    invited = GroupInvitation.objects.filter(
        group=OuterRef("pk"),
        invitee_email__iexact=user.email,
        status=GroupInvitation.Status.PENDING,
        expires_at__gt=timezone.now(),
    )
    member = GroupMembers.objects.filter(group=OuterRef("pk"), user=user)
    group = PaymentGroups.objects.filter(Q(is_open=True) | Exists(invited) | Exists(member), pk=pk).first()
    if group is None:
        raise NotFound("No such payment group.")
    return group


def members_of(group: PaymentGroups) -> QuerySet[GroupMembers]:
    return (
        GroupMembers.objects.filter(group=group)
        .select_related("user", "group")
        .annotate(received_this_cycle=received_this_cycle())
        .order_by("joined_at", "id")
    )


def received_this_cycle() -> Exists:
    """Whether the member's user received the rotation payout in the group's current cycle."""
    return Exists(
        RotationPayout.objects.filter(
            group=OuterRef("group"), cycle=OuterRef("group__rotation_cycle"), user=OuterRef("user")
        )
    )


def contributions_of(group: PaymentGroups) -> QuerySet[Contribution]:
    return Contribution.objects.filter(group=group).select_related("transaction").order_by("-id")


def invitations_of_group(group: PaymentGroups) -> QuerySet[GroupInvitation]:
    return GroupInvitation.objects.filter(group=group).select_related("group", "inviter").order_by("-id")


def invitations_for(user) -> QuerySet[GroupInvitation]:
    """Invitations addressed to the user's email; nobody else's. Registering an address proves
    nothing, so until the user has verified it they see none (403 `email_not_verified`)."""
    ensure_email_verified(user, INVITATIONS_NEED_VERIFIED_EMAIL)
    return (
        GroupInvitation.objects.filter(invitee_email__iexact=user.email)
        .select_related("group", "inviter")
        .order_by("-id")
    )


def invitation_token_in(key: str) -> str | None:
    """The URL's key is an invitation id or the token of the emailed link."""
    return None if key.isdigit() and len(key) < 18 else key


def invitation_for(user, key: str) -> GroupInvitation:
    """By id among the invitations for the user's verified email, or by the token of the emailed
    link: holding the token proves access to the invited inbox, so any signed-in user may use it."""
    token = invitation_token_in(key)
    if token is None:
        invitation = invitations_for(user).filter(pk=int(key)).first()
    else:
        invitation = GroupInvitation.objects.filter(token=token).select_related("group", "inviter").first()
    if invitation is None:
        raise NotFound("No such invitation.")
    return invitation


def targets_of(user) -> QuerySet[GroupTarget]:
    mine = GroupMembers.objects.filter(group=OuterRef("group"), user=user)
    return GroupTarget.objects.filter(Exists(mine)).select_related("group").order_by("-id")


def target_for(user, pk) -> GroupTarget:
    target = targets_of(user).filter(pk=pk).first()
    if target is None:
        raise NotFound("No such target.")
    return target


def approval_requests_of(group: PaymentGroups, *, status: str | None = None) -> QuerySet[ApprovalRequest]:
    """A group's approval requests, newest first, with their decisions: every member sees them."""
    requests = ApprovalRequest.objects.filter(group=group)
    if status:
        requests = requests.filter(status=status)
    return requests.select_related("group", "requested_by").prefetch_related("decisions__approver").order_by("-id")


def approval_request_for(group: PaymentGroups, pk) -> ApprovalRequest:
    request = approval_requests_of(group).filter(pk=pk).first()
    if request is None:
        raise NotFound("No such approval request.")
    return request
