from django.urls import path

from comrade.web.subscription import views

urlpatterns = [
    path("", views.subscription_detail, name="detail"),
    path("change/", views.subscription_review, name="review"),
    path("confirm/", views.subscription_confirm, name="confirm"),
    path("cancel/", views.subscription_cancel, name="cancel"),
]
