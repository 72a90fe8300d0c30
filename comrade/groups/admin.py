from django.contrib import admin

from comrade.core.admin import ReadOnlyAdmin
from comrade.groups.models import Contribution, GroupInvitation, GroupMembers, GroupTarget, PaymentGroups


class MemberInline(admin.TabularInline):
    model = GroupMembers
    fields = ["user", "role", "total_contributed", "total_received", "payout_position", "joined_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(PaymentGroups)
class PaymentGroupsAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "name",
        "group_type",
        "admin",
        "current_amount",
        "is_active",
        "is_open",
        "deadline",
        "closed_at",
    ]
    list_filter = ["group_type", "is_active", "is_open"]
    search_fields = ["name", "admin__email"]
    list_select_related = ["admin", "pot"]
    inlines = [MemberInline]


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = ["id", "group", "member", "amount", "target", "transaction", "contribution_date"]
    search_fields = ["member__email", "group__name", "transaction__token"]
    list_select_related = ["group", "member", "target", "transaction"]


@admin.register(GroupInvitation)
class GroupInvitationAdmin(ReadOnlyAdmin):
    list_display = ["id", "group", "invitee_email", "inviter", "status", "expires_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["invitee_email", "group__name"]
    exclude = ["token"]


@admin.register(GroupTarget)
class GroupTargetAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "group", "target_amount", "current_amount", "is_achieved", "target_date"]
    list_filter = ["is_achieved"]
    search_fields = ["name", "group__name"]
