from django.urls import path

from comrade.web.bank import views

urlpatterns = [
    path("", views.account_list, name="list"),
    path("add/", views.account_add, name="add"),
    path("<int:pk>/delete/", views.account_delete, name="delete"),
]
