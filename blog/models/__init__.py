"""Typed SQLAlchemy 2.0 models, data only: every model is importable from here."""

from .access import AuditEntry, AuthorKey, IdempotencyKey, Operator, Token
from .columns import UTCDateTime, utcnow
from .content import Author, AuthorCount, Post, PostRevision, Tag, is_public, post_tags
from .delivery import Delivery, DeliveryAttempt, Event, Webhook
from .oauth import OAuthClient, OAuthCode, OAuthGrant, OAuthRefreshToken

__all__ = [
    "AuditEntry",
    "Author",
    "AuthorCount",
    "AuthorKey",
    "Delivery",
    "DeliveryAttempt",
    "Event",
    "IdempotencyKey",
    "Operator",
    "OAuthClient",
    "OAuthCode",
    "OAuthGrant",
    "OAuthRefreshToken",
    "Post",
    "PostRevision",
    "Tag",
    "Token",
    "UTCDateTime",
    "Webhook",
    "is_public",
    "post_tags",
    "utcnow",
]
