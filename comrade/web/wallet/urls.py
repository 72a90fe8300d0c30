from django.urls import path

from comrade.web.wallet import views

urlpatterns = [
    path("", views.home, name="home"),
    path("send/", views.send, name="send"),
    path("top-up/", views.top_up, name="top_up"),
    path("withdraw/", views.withdraw, name="withdraw"),
    path("history/", views.history, name="history"),
    path("history/export.csv", views.history_csv, name="history_csv"),
    path("history/statement.pdf", views.statement, {"fmt": "pdf"}, name="statement_pdf"),
    path("history/statement.csv", views.statement, {"fmt": "csv"}, name="statement_csv"),
    path("transactions/<int:pk>/", views.transaction, name="transaction"),
    path("transactions/<int:pk>/status/", views.transaction_status, name="transaction_status"),
]
