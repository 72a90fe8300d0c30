"""The auth pages: sign up, verify the email, log in and out, reset a forgotten password.

Entry points only: the forms check the input, and the accounts services (the same ones the API
calls) create the user, send and check the links, and set the password. Errors are shown next to
their field with status 200, so htmx (which does not swap 4xx answers) shows them too."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from comrade.accounts.lockout import is_locked_out, lockout_message
from comrade.accounts.models import User
from comrade.accounts.password_reset import password_reset_confirm, password_reset_request
from comrade.accounts.services import email_verification_resend, email_verify, user_create
from comrade.core.errors import ApplicationError
from comrade.web.auth.forms import LoginForm, PasswordResetRequestForm, SetPasswordForm, SignupForm
from comrade.web.auth.throttle import password_reset_allowed, password_reset_confirm_allowed, resend_allowed

SIGNED_UP = "signup_user_id"  # the session remembers who just signed up, for "send it again"
UNVERIFIED = "Your email address is not verified yet: open the link we emailed you, or ask for a new one."
TOO_OFTEN = "You have tried this several times already; wait a while and try again."
RESET_SENT = "If an account uses this address, we have emailed it a link to set a new password."


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_create(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except ApplicationError as error:
            _add_error(form, error)
        else:
            request.session[SIGNED_UP] = user.pk
            return redirect("auth:check_email")
    return render(request, "web/auth/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def check_email(request):
    """After signing up (or for a signed-in user whose address is unproven): where the link went,
    and a button to send it again, limited to EMAIL_VERIFICATION_RESEND_RATE as the API's resend."""
    user = _unverified_user(request)
    if user is None:
        return redirect("auth:login")
    if request.method == "POST":
        _resend(request, user)
        return redirect("auth:check_email")
    context = {"email": user.email, "verified": user.email_verified, "hours": settings.EMAIL_VERIFICATION_MAX_AGE_HOURS}
    return render(request, "web/auth/check_email.html", context)


def _unverified_user(request) -> User | None:
    if request.user.is_authenticated:
        return request.user
    pk = request.session.get(SIGNED_UP)
    return User.objects.filter(pk=pk, is_active=True).first() if pk else None


def _resend(request, user: User) -> None:
    if not resend_allowed(user):
        messages.error(request, TOO_OFTEN)
        return
    try:
        email_verification_resend(user=user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"We sent a new link to {user.email}.")


@require_http_methods(["GET"])
def verify_email(request):
    """The emailed link. Verifying twice is fine (the service is idempotent)."""
    try:
        user = email_verify(token=request.GET.get("token", ""))
    except ApplicationError as error:
        context = {"verified": False, "code": error.code, "message": error.message}
        return render(request, "web/auth/verified.html", context, status=error.status_code)
    request.session.pop(SIGNED_UP, None)
    return render(request, "web/auth/verified.html", {"verified": True, "email": user.email})


class LoginView(auth_views.LoginView):
    """Django's login view with django-axes: a locked-out pair (email, address) is refused even
    with the right password, and told so next to the form instead of the API's JSON 429."""

    form_class = LoginForm
    template_name = "web/auth/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        if is_locked_out(self.request):
            form.errors.clear()
            form.add_error(None, lockout_message())
            self.request.axes_locked_out = False  # answered here; the middleware would send JSON
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        if not self.request.user.email_verified:
            messages.info(self.request, UNVERIFIED)
        return response


@sensitive_post_parameters("email")
@csrf_protect
@require_http_methods(["GET", "POST"])
def password_reset(request):
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not password_reset_allowed(request):
            form.add_error(None, TOO_OFTEN)
        else:
            password_reset_request(email=form.cleaned_data["email"], link_template=_reset_link_template())
            return redirect("auth:password_reset_sent")
    return render(request, "web/auth/password_reset.html", {"form": form})


def _reset_link_template() -> str:
    path = reverse("auth:password_reset_confirm", kwargs={"uid": "UID", "token": "TOKEN"})
    return settings.SITE_URL + path.replace("UID", "{uid}").replace("TOKEN", "{token}")


@require_http_methods(["GET"])
def password_reset_sent(request):
    return render(request, "web/auth/password_reset_sent.html", {"message": RESET_SENT})


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def password_reset_set(request, uid: str, token: str):
    form = SetPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not password_reset_confirm_allowed(request):
        form.is_valid()
        form.add_error(None, TOO_OFTEN)
    elif request.method == "POST" and form.is_valid():
        try:
            password_reset_confirm(uid=uid, token=token, new_password=form.cleaned_data["password1"])
        except ApplicationError as error:
            _add_error(form, error, rename={"new_password": "password1"})
        else:
            messages.success(request, "Your password was changed. Log in with the new one.")
            return redirect("auth:login")
    return render(request, "web/auth/password_reset_set.html", {"form": form})


def _add_error(form, error: ApplicationError, rename: dict | None = None) -> None:
    """A service's refusal next to the field it names, or at the top of the form."""
    placed = False
    for name, field_messages in error.fields.items():
        name = (rename or {}).get(name, name)
        for message in field_messages if isinstance(field_messages, list) else [field_messages]:
            form.add_error(name if name in form.fields else None, str(message))
            placed = True
    if not placed:
        form.add_error(None, error.message)


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: a page that says what to do (or, for htmx, the same words as a fragment).
    The reason stays in the logs; it is never shown."""
    if getattr(request, "htmx", False):
        response = render(request, "web/auth/_csrf_failed.html", status=403)
        response["HX-Retarget"] = "#status"  # app.js lets htmx swap this one 403 into the status region
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "403_csrf.html", status=403)
