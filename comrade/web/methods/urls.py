from django.urls import path

from comrade.web.methods import views

urlpatterns = [
    path("", views.method_list, name="list"),
    path("default/", views.method_default, name="default"),
    path("<str:method_id>/remove/", views.method_remove, name="remove"),
]
