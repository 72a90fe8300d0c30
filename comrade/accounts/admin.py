from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserCreationForm

from comrade.accounts.models import User
from comrade.accounts.services import email_verification_send_on_commit, user_email_changed
from comrade.ledger.services import wallet_open


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = EmailUserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "email_verified_at", "is_staff", "is_active"]
    readonly_fields = ["email_verified_at"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "email_verified_at", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "first_name", "last_name", "password1", "password2"]})
    ]

    def save_model(self, request, obj, form, change):
        if change and "email" in form.changed_data:
            user_email_changed(user=obj)
        super().save_model(request, obj, form, change)
        if not change:
            wallet_open(user=obj)
            email_verification_send_on_commit(obj)
