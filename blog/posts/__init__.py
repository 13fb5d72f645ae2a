"""The one writer of posts and the public reads; never touches request, g, session or url_for.

Every edge that creates, updates or deletes a post calls these operations; `reads` and
`crawl` are what pages, feeds and the API may show.
"""

from . import archive, crawl, finding, reads
from .authors import check_author, save_author
from .imports import SlugClaims, import_post
from .validate import (
    DISCLOSURES,
    MAX_SUMMARY,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TITLE,
    SLUG_RE,
    SLUG_RULE,
    STATUSES,
    FieldError,
    InvalidPost,
    PostError,
    SlugTaken,
    check_text,
)
from .write import Preview, create_post, delete_post, preview_post, update_post

__all__ = [
    "archive",
    "DISCLOSURES",
    "MAX_SUMMARY",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "MAX_TITLE",
    "SLUG_RE",
    "SLUG_RULE",
    "STATUSES",
    "FieldError",
    "InvalidPost",
    "PostError",
    "Preview",
    "SlugClaims",
    "SlugTaken",
    "check_author",
    "check_text",
    "crawl",
    "create_post",
    "delete_post",
    "finding",
    "import_post",
    "preview_post",
    "reads",
    "save_author",
    "update_post",
]
