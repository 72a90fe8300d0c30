import pghistory
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager):
    """Delegates to the user_create service so that every way of making a user (API, admin,
    createsuperuser) also opens the user's wallet in the same database transaction."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        from comrade.accounts.services import user_create

        return user_create(email=email, password=password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    fields=["is_staff", "is_superuser", "is_active"],
    model_name="UserAccessEvent",
    append_only=True,
)
class User(AbstractBaseUser, PermissionsMixin):
    """History (PostgreSQL only, django-pghistory): every change of the staff flags is kept in
    UserAccessEvent, with who made it when it came through a request."""

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # When the owner of the address followed a verification link; None until then. Anything that
    # trusts the address (group invitations matched by email) requires it.
    email_verified_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    def __str__(self) -> str:
        return self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
