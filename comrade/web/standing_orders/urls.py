from django.urls import path

from comrade.web.standing_orders import views

urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_new, name="new"),
    path("confirm/", views.order_confirm, name="confirm"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/edit/", views.order_edit, name="edit"),
    path("<int:pk>/pause/", views.order_pause, name="pause"),
    path("<int:pk>/resume/", views.order_resume, name="resume"),
    path("<int:pk>/cancel/", views.order_cancel, name="cancel"),
]
