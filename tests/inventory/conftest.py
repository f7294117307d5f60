"""Fixtures for the store's tests: users of each kind and a few products."""

import uuid

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client

from inventory.models import Source
from inventory.selectors import PRODUCT_LIST_CACHE_KEY
from inventory.services import product_create
from inventory.tokens import token_issue


@pytest.fixture(autouse=True, scope="session")
def static_root():
    """WhiteNoise warns (an error here) when the static folder of a fresh checkout is missing."""
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Rate-limit counters and the product-list cache start empty in every test.

    Keys are dropped one by one: ``cache.clear()`` on Redis would flush a database that
    other test runs share.
    """
    settings.RATELIMIT_CACHE_PREFIX = f"rl:{uuid.uuid4().hex}:"
    cache.delete(PRODUCT_LIST_CACHE_KEY)
    yield
    cache.delete(PRODUCT_LIST_CACHE_KEY)


@pytest.fixture
def shopper(django_user_model):
    return django_user_model.objects.create_user("shopper")


@pytest.fixture
def staff_without_permission(django_user_model):
    return django_user_model.objects.create_user("intern", is_staff=True)


@pytest.fixture
def clerk(django_user_model):
    """Staff with the permission to change stock."""
    user = django_user_model.objects.create_user("clerk", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_product"))
    return user


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("boss")


@pytest.fixture
def clerk_token(clerk):
    return token_issue(user=clerk)


@pytest.fixture
def clerk_client(clerk_token):
    """A programmatic client that writes with the clerk's bearer token."""
    return Client(headers={"Authorization": f"Bearer {clerk_token}"})


@pytest.fixture
def lamp(db):
    return product_create(sku="LAMP-1", name="Desk lamp", stock=5, source=Source.COMMAND)


@pytest.fixture
def sold_out_mug(db):
    return product_create(sku="MUG-2", name="Mug", stock=0, source=Source.COMMAND)
