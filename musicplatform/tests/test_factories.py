import importlib
import inspect

import factory
import pytest
from django.apps import apps

pytestmark = pytest.mark.django_db

APPS = ["accounts", "artists", "content", "communities", "shop", "catalogue", "notifications"]


def _factories():
    for label in APPS:
        module = importlib.import_module(f"{label}.tests.factories")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, factory.django.DjangoModelFactory)
                and cls.__module__ == module.__name__
            ):
                yield cls


FACTORIES = list(_factories())

# Each factory alone and with each of its traits, since a trait can break a constraint too.
VARIANTS = [
    pytest.param(cls, trait, id=f"{cls.__name__}{f'[{trait}]' if trait else ''}")
    for cls in FACTORIES
    for trait in [
        None,
        *(n for n, p in cls._meta.parameters.items() if isinstance(p, factory.Trait)),
    ]
]


@pytest.mark.parametrize(("factory_class", "trait"), VARIANTS)
def test_factory_saves_a_row_the_database_accepts(factory_class, trait):
    instance = factory_class(**({trait: True} if trait else {}))

    assert type(instance).objects.filter(pk=instance.pk).exists()


def test_every_model_of_the_project_apps_has_a_factory():
    # Unmanaged models are views over the tables, filled by refreshing them, not by rows.
    models = {
        model
        for label in APPS
        for model in apps.get_app_config(label).get_models()
        if model._meta.managed
    }

    # Factories of third-party models (allauth's EmailAddress) are welcome extras.
    assert models <= {cls._meta.model for cls in FACTORIES}
