from django.urls import path

from comrade.web.groups import admin_views, dues_views, views

urlpatterns = [
    path("", views.group_list, name="list"),
    path("new/", views.group_create, name="create"),
    path("invitations/<str:key>/", views.invitation, name="invitation"),
    path("<int:pk>/", views.group_detail, name="detail"),
    path("<int:pk>/contribute/", views.contribute, name="contribute"),
    path("<int:pk>/contribute/confirm/", views.contribute_confirm, name="contribute_confirm"),
    path("<int:pk>/invite/", views.invite, name="invite"),
    path("<int:pk>/invitations/<int:invitation_id>/cancel/", views.invitation_cancel, name="invitation_cancel"),
    path("<int:pk>/payout/", admin_views.payout, name="payout"),
    path("<int:pk>/payout/confirm/", admin_views.payout_confirm, name="payout_confirm"),
    path("<int:pk>/rotation/", admin_views.rotation_order, name="rotation_order"),
    path("<int:pk>/rotation/settings/", dues_views.rotation_settings, name="rotation_settings"),
    path("<int:pk>/dues/", dues_views.dues, name="dues"),
    path("<int:pk>/dues/schedule/", dues_views.dues_schedule, name="dues_schedule"),
    path("<int:pk>/dues/<int:obligation_id>/waive/", dues_views.dues_waive, name="dues_waive"),
    path("<int:pk>/rotation/payout/", admin_views.rotation_payout, name="rotation_payout"),
    path("<int:pk>/members/<int:user_id>/role/", admin_views.member_role, name="member_role"),
    path("<int:pk>/members/<int:user_id>/remove/", admin_views.member_remove, name="member_remove"),
    path("<int:pk>/close/", admin_views.close, name="close"),
    path("<int:pk>/leave/", views.leave, name="leave"),
    path("<int:pk>/join/", views.join, name="join"),
    path("<int:pk>/approvals/", admin_views.approvals_required, name="approvals_required"),
    path("<int:pk>/targets/new/", admin_views.target_create, name="target_create"),
    path("<int:pk>/approvals/<int:request_id>/approve/", admin_views.approval_approve, name="approval_approve"),
    path("<int:pk>/approvals/<int:request_id>/reject/", admin_views.approval_reject, name="approval_reject"),
]
