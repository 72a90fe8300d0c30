from django.contrib.auth import views as auth_views
from django.urls import path

from comrade.web.placeholder import coming

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/auth/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", coming, name="signup"),
]
