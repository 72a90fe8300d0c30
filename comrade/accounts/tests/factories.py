import factory

from comrade.accounts.models import User
from comrade.accounts.services import user_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = "s3cure-Passw0rd!"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return user_create(**kwargs)
