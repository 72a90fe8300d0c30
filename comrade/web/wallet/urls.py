from django.urls import path

from comrade.web.placeholder import coming

urlpatterns = [
    path("", coming, name="home"),
    path("send/", coming, name="send"),
    path("top-up/", coming, name="top_up"),
    path("withdraw/", coming, name="withdraw"),
    path("history/", coming, name="history"),
    path("transactions/<int:pk>/", coming, name="transaction"),
]
