"""API tokens: issued once, stored as a SHA-256 hash, revocable."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from inventory.models import ApiToken

TOKEN_PREFIX = "sw_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(*, user: AbstractBaseUser) -> str:
    """Create a token for ``user`` and return its secret; only its hash is kept."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=_digest(raw), prefix=raw[:10])
    return raw


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header; None when malformed."""
    scheme, _, raw = header.strip().partition(" ")
    raw = raw.strip()
    return raw if scheme.lower() == "bearer" and raw else None


def token_user(*, raw: str) -> AbstractBaseUser | None:
    """The active user a live token belongs to, or None.

    The lookup is by hash, so comparing secrets takes no time that depends on them.
    """
    if not raw or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def token_revoke(*, raw: str) -> bool:
    """Revoke a token; True when a live one was revoked."""
    return bool(
        ApiToken.objects.filter(key_hash=_digest(raw), revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
