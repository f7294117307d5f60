"""Fixtures for the alerts' tests: shoppers, products and their API clients."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from inventory.models import Source
from inventory.services import product_create
from inventory.tokens import token_issue


@pytest.fixture(autouse=True, scope="session")
def static_root():
    """WhiteNoise warns (an error here) when the static folder of a fresh checkout is missing."""
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters start empty in every test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", email="alice@example.com")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", email="bob@example.com")


@pytest.fixture
def lamp(db):
    """Sold out, as products are when shoppers wait for them."""
    return product_create(sku="LAMP-1", name="Desk lamp", stock=0, source=Source.COMMAND)


@pytest.fixture
def chair(db):
    return product_create(sku="CHAIR-2", name="Chair", stock=3, source=Source.COMMAND)


def signed_in(user, *, enforce_csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


def bearer_client(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_issue(user=user)}"})
