"""Forms of the auth pages. They check the shape of the input and the password rules; the accounts
services (user_create, email_verify, password_reset_confirm) decide everything else."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from comrade.accounts.models import User
from comrade.accounts.services import EMAIL_TAKEN

PASSWORD_HINT = "At least 8 characters; not only numbers, and not a common password."
MISMATCH = "The two passwords are not the same."


def _password(label: str, autocomplete: str = "new-password", **kwargs) -> forms.CharField:
    widget = forms.PasswordInput(attrs={"autocomplete": autocomplete})
    return forms.CharField(label=label, strip=False, max_length=4096, widget=widget, **kwargs)


class NewPasswordMixin:
    """Two password fields that must match and, given the `user`, pass AUTH_PASSWORD_VALIDATORS."""

    def _check_new_password(self, user: User | None) -> None:
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            self.add_error("password2", MISMATCH)
            return
        if first and user is not None:
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)


class SignupForm(NewPasswordMixin, forms.Form):
    email = forms.EmailField(
        label="Email address", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    first_name = forms.CharField(
        label="First name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label="Last name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password1 = _password("Password", help_text=PASSWORD_HINT)
    password2 = _password("Password again")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(EMAIL_TAKEN, code="email_taken")
        return email

    def clean(self):
        cleaned = super().clean()
        candidate = User(
            email=cleaned.get("email", ""),
            first_name=cleaned.get("first_name", ""),
            last_name=cleaned.get("last_name", ""),
        )
        self._check_new_password(candidate)
        return cleaned


class LoginForm(AuthenticationForm):
    """Django's login form (it calls authenticate with the request, so django-axes counts it)."""

    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = _password("Password", autocomplete="current-password")
    error_messages = {
        "invalid_login": "The email address or the password is not right.",
        "inactive": "This account is closed.",
    }

    def clean_username(self) -> str:
        """Addresses are stored lower-cased (user_create), so "Ann@Example.com" logs in too."""
        return self.cleaned_data["username"].strip().lower()


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Email address", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class SetPasswordForm(NewPasswordMixin, forms.Form):
    """The password rules are checked by password_reset_confirm, which knows whose password it is."""

    password1 = _password("New password", help_text=PASSWORD_HINT)
    password2 = _password("New password again")

    def clean(self):
        cleaned = super().clean()
        self._check_new_password(None)
        return cleaned
