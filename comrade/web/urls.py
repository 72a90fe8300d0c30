"""The web app's pages. Each area is a package with its own urls, views, forms and templates
(`templates/web/<area>/`); pages are entry points like the API's viewsets: validate a form, call
one service or selector, render."""

from django.urls import include, path

urlpatterns = [
    path("", include(("comrade.web.wallet.urls", "wallet"))),
    path("accounts/", include(("comrade.web.auth.urls", "auth"))),
    path("groups/", include(("comrade.web.groups.urls", "groups"))),
    path("standing-orders/", include(("comrade.web.standing_orders.urls", "standing_orders"))),
    path("shop/", include(("comrade.web.shop.urls", "shop"))),
    path("bank-accounts/", include(("comrade.web.bank.urls", "bank"))),
    path("payment-methods/", include(("comrade.web.methods.urls", "methods"))),
    path("subscription/", include(("comrade.web.subscription.urls", "subscription"))),
]
