from django.contrib.auth import views as auth_views
from django.urls import path

from comrade.web.auth import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),  # POST only (Django 5)
    path("signup/", views.signup, name="signup"),
    path("check-email/", views.check_email, name="check_email"),
    path("verify-email/", views.verify_email, name="verify_email"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path("password-reset/<str:uid>/<str:token>/", views.password_reset_set, name="password_reset_confirm"),
]
