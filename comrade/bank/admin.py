"""Admin of the incoming bank side: statements with their entries, an upload form, and the
exceptions queue with its decisions (assign to a user, mark for return, dismiss). Rows change
only through the services; the admin site itself asks staff for a one-time password."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from comrade.bank.models import BankEntry, BankException, BankStatement
from comrade.bank.services.exceptions import exception_assign, exception_dismiss, exception_return
from comrade.bank.services.statements import statement_file_import, statement_size_check
from comrade.core.admin import ReadOnlyAdmin
from comrade.core.errors import ApplicationError


class UploadForm(forms.Form):
    file = forms.FileField(help_text="A camt.053, camt.054 or MT940 file from the bank.")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("assign", "Assign to a user (credits their wallet)"),
            ("return", "Mark for return"),
            ("dismiss", "Dismiss (debits and returns)"),
        ]
    )
    user_id = forms.IntegerField(required=False, min_value=1, help_text="For assign: the user's id.")
    text = forms.CharField(required=False, max_length=255, help_text="For return: the reason; for dismiss: why.")


class EntryInline(admin.TabularInline):
    model = BankEntry
    fields = ["entry_reference", "direction", "amount", "currency", "booking_date", "remittance", "outcome", "deposit"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = [
        "message_id",
        "kind",
        "source",
        "filename",
        "imported_by",
        "imported_at",
        "entries_created",
        "entries_duplicate",
        "credited",
        "payouts",
        "exceptions",
    ]
    list_filter = ["kind", "source"]
    search_fields = ["message_id", "filename", "digest"]
    inlines = [EntryInline]
    change_list_template = "admin/bank/bankstatement/change_list.html"

    def get_urls(self):
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="bank_bankstatement_upload")
        return [upload, *super().get_urls()]

    def upload_view(self, request):
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                statement_size_check(size=upload.size)
                result = statement_file_import(
                    data=upload.read(), filename=upload.name, imported_by=request.user, source="admin"
                )
            except ApplicationError as exc:
                form.add_error("file", f"{exc.message} ({exc.code})")
            else:
                self.message_user(
                    request,
                    f"{result.kind} {result.message_id}: {result.created} new entries, {result.duplicate} already "
                    f"imported, {result.credited} credited, {result.payouts} payouts, {result.exceptions} exceptions.",
                )
                return redirect(reverse("admin:bank_bankstatement_change", args=[result.statement_id]))
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import a bank statement"}
        return render(request, "admin/bank/upload.html", context)


@admin.register(BankEntry)
class BankEntryAdmin(ReadOnlyAdmin):
    list_display = ["entry_reference", "direction", "amount", "currency", "booking_date", "outcome", "deposit"]
    list_filter = ["direction", "outcome", "is_return"]
    search_fields = ["entry_reference", "end_to_end_id", "remittance", "counterparty_name", "wallet_reference"]


@admin.register(BankException)
class BankExceptionAdmin(ReadOnlyAdmin):
    list_display = ["id", "entry", "reason", "status", "assigned_user", "decided_by", "decided_at", "decide_link"]
    list_filter = ["status", "reason"]
    search_fields = ["entry__entry_reference", "entry__remittance", "entry__counterparty_name"]

    @admin.display(description="decision")
    def decide_link(self, obj):
        if obj.status != BankException.Status.OPEN:
            return obj.note or "-"
        return format_html('<a href="{}">decide</a>', reverse("admin:bank_bankexception_decide", args=[obj.pk]))

    def get_urls(self):
        decide = path(
            "<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="bank_bankexception_decide"
        )
        return [decide, *super().get_urls()]

    def decide_view(self, request, pk: int):
        exception = get_object_or_404(BankException.objects.select_related("entry"), pk=pk)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                _decide(exception.pk, form.cleaned_data, request.user)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Exception {pk} decided.", messages.SUCCESS)
                return redirect(reverse("admin:bank_bankexception_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "exception": exception,
            "title": f"Decide bank exception {pk}",
        }
        return render(request, "admin/bank/decide.html", context)


def _decide(exception_id: int, data: dict, user) -> BankException:
    if data["decision"] == "assign":
        if not data.get("user_id"):
            raise ApplicationError("required", "Give the id of the user to credit.")
        return exception_assign(exception_id=exception_id, user_id=data["user_id"], decided_by=user)
    if data["decision"] == "return":
        return exception_return(exception_id=exception_id, reason=data.get("text", ""), decided_by=user)
    return exception_dismiss(exception_id=exception_id, note=data.get("text", ""), decided_by=user)
