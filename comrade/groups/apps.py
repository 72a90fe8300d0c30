from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "comrade.groups"
    label = "groups"
    verbose_name = "Payment groups"

    def ready(self) -> None:
        from django.conf import settings

        from comrade.core import jobs, settlement
        from comrade.groups import checks
        from comrade.groups.services import (
            approvals_expire,
            group_contribution_prepare,
            group_contribution_settled,
            invitations_expire,
        )
        from comrade.ledger import checks as ledger_checks

        settlement.on_settled("CONTRIBUTION", group_contribution_settled, prepare=group_contribution_prepare)
        jobs.register("expire_invitations", invitations_expire, every_seconds=settings.GROUP_INVITATION_JOB_SECONDS)
        jobs.register("expire_group_approvals", approvals_expire, every_seconds=settings.GROUP_INVITATION_JOB_SECONDS)
        ledger_checks.register(checks.member_totals)
        ledger_checks.register(checks.target_allocations)
        ledger_checks.register(checks.contributions_settled)
        ledger_checks.register(checks.closed_pots_empty)
