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
        _register_dues(jobs, ledger_checks, settings)


def _register_dues(jobs, ledger_checks, settings) -> None:
    """Dues: the obligations, reminders and automatic rotation jobs, and their ledger checks."""
    from comrade.groups import dues_checks
    from comrade.groups.services.dues import dues_obligations_create
    from comrade.groups.services.dues_reminders import dues_reminders_send
    from comrade.groups.services.rotation_auto import rotation_auto_run

    every = settings.GROUP_DUES_JOB_SECONDS
    jobs.register("create_dues_obligations", lambda now: dues_obligations_create(now=now), every_seconds=every)
    jobs.register("send_dues_reminders", lambda now: dues_reminders_send(now=now), every_seconds=every)
    jobs.register("run_rotation_rounds", lambda now: rotation_auto_run(now=now), every_seconds=every)
    ledger_checks.register(dues_checks.obligations_paid_once)
    ledger_checks.register(dues_checks.contributions_counted_once)
