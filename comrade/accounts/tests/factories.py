import factory
from django.utils import timezone

from comrade.accounts.models import User
from comrade.accounts.services import user_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = "s3cure-Passw0rd!"
    # Most tests are about someone who finished signing up; pass email_verified_at=None for one
    # who has not followed the link yet.
    email_verified_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return user_create(**kwargs)
