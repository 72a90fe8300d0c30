from django.urls import path

from comrade.web.shop import views

urlpatterns = [
    path("", views.product_list, name="list"),
    path("<int:pk>/", views.product_detail, name="product"),
    path("<int:pk>/buy/", views.product_buy, name="buy"),
    path("<int:pk>/confirm/", views.product_confirm, name="confirm"),
    path("groups/<int:group_pk>/requests/<int:pk>/", views.pot_request, name="pot_request"),
    path("items/", views.item_list, name="items"),
    path("items/<int:pk>/pay/", views.item_pay, name="item_pay"),
    path("items/<int:pk>/confirm/", views.item_confirm, name="item_confirm"),
    path("purchases/", views.purchase_list, name="purchases"),
    path("purchases/<int:pk>/", views.purchase_receipt, name="receipt"),
]
