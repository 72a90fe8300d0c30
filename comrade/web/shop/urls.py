from django.urls import path

from comrade.web.placeholder import coming

urlpatterns = [path("", coming, name="list")]
