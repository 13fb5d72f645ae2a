"""The one writer of posts and the public reads; never touches request, g, session or url_for.

Review (approve, request changes, reject) lives in `review`, used by the admin and the CLI.

Every edge that creates, updates or deletes a post calls these operations; `reads` and
`crawl` are what pages, feeds and the API may show.
"""

from . import archive, crawl, finding, history, quotas, reads, signing
from .authors import check_author, save_author
from .history import NotDeleted, WrongRevision, delete_post, restore_post, restore_revision
from .imports import SlugClaims, import_post
from .quotas import QuotaExceeded, check_quota
from .review import NotPending, approve_post, pending_posts, reject_post, request_changes
from .validate import (
    DISCLOSURES,
    MAX_SUMMARY,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TITLE,
    REVIEW_STATUSES,
    SLUG_RE,
    SLUG_RULE,
    STATUSES,
    FieldError,
    InvalidPost,
    PostError,
    SlugTaken,
    check_text,
)
from .write import Preview, create_post, preview_post, update_post

__all__ = [
    "archive",
    "DISCLOSURES",
    "MAX_SUMMARY",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "MAX_TITLE",
    "SLUG_RE",
    "SLUG_RULE",
    "REVIEW_STATUSES",
    "STATUSES",
    "FieldError",
    "InvalidPost",
    "NotDeleted",
    "NotPending",
    "PostError",
    "QuotaExceeded",
    "Preview",
    "SlugClaims",
    "SlugTaken",
    "approve_post",
    "check_author",
    "check_quota",
    "check_text",
    "crawl",
    "history",
    "quotas",
    "signing",
    "create_post",
    "delete_post",
    "finding",
    "import_post",
    "pending_posts",
    "preview_post",
    "reads",
    "restore_post",
    "restore_revision",
    "reject_post",
    "request_changes",
    "save_author",
    "update_post",
    "WrongRevision",
]
