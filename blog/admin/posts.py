"""Posts in the admin: the list, one post as readers see it, and the review decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from .. import posts
from ..access import audit
from ..http.signin import operator_actor, operator_required
from ..models import Post
from .blueprint import bp

STATUSES = posts.STATUSES + posts.REVIEW_STATUSES
MAX_ID = 2**31 - 1  # ids are 32-bit on every database


@bp.get("/posts")
@operator_required
def post_list() -> Any:
    """Every post, filtered by status and author."""
    status = request.args.get("status") or None
    author = request.args.get("author") or None
    if status not in (None, *STATUSES):
        status = None
    authors = posts.reads.all_authors()
    chosen = next((a for a in authors if a.slug == author), None)
    found = posts.reads.posts_for_review(status, chosen.id if chosen else None)
    return render_template(
        "admin/posts.html", posts=found, authors=authors, statuses=STATUSES,
        status=status, author=chosen,
    )  # fmt: skip


@bp.get("/posts/<int:post_id>")
@operator_required
def post_detail(post_id: int) -> Any:
    """One post, rendered as readers will see it, its history, and what the operator may do."""
    post = _post(post_id)
    history = [(r, audit.revision_tags(r)) for r in audit.revisions(post.id)]
    return render_template("admin/post.html", post=post, history=history)


@bp.get("/posts/<int:post_id>/revisions/<int:revision_id>")
@operator_required
def revision(post_id: int, revision_id: int) -> Any:
    """What one revision changed, line by line, against the revision before it."""
    post = _post(post_id)
    try:
        change = posts.history.revision_change(post, min(revision_id, MAX_ID))
    except posts.WrongRevision:
        abort(404)
    return render_template("admin/revision.html", post=post, change=change)


@bp.post("/posts/<int:post_id>/edit")
@operator_required
def edit(post_id: int) -> Any:
    """Change a post's tags and featured flag (an operator's edit: no review needed)."""
    post = _post(post_id)
    tags = [name.strip() for name in request.form.get("tags", "").split(",") if name.strip()]
    values = {"tags": tags, "featured": request.form.get("featured") == "on"}
    return _write(post, "Saved", posts.update_post, values)


@bp.post("/posts/<int:post_id>/unpublish")
@operator_required
def unpublish(post_id: int) -> Any:
    """Take a post out of public view (back to draft)."""
    return _write(_post(post_id), "Unpublished", posts.update_post, {"status": "draft"})


@bp.post("/posts/<int:post_id>/delete")
@operator_required
def delete(post_id: int) -> Any:
    """Delete a post (kept, restorable)."""
    return _write(_post(post_id), "Deleted", posts.delete_post)


@bp.post("/posts/<int:post_id>/restore")
@operator_required
def restore(post_id: int) -> Any:
    """Bring a deleted post back."""
    return _write(_post(post_id), "Restored", posts.restore_post)


@bp.post("/posts/<int:post_id>/revisions/restore")
@operator_required
def restore_revision(post_id: int) -> Any:
    """Make an earlier revision the post's current text (itself a new revision)."""
    post = _post(post_id)
    number = request.form.get("revision", "")
    if not number.isdigit() or int(number) > MAX_ID:
        flash("Nothing was changed: choose a revision of this post.")
        return _back(post)
    return _write(post, "Restored the revision of", posts.restore_revision, int(number))


@bp.post("/posts/<int:post_id>/approve")
@operator_required
def approve(post_id: int) -> Any:
    """Publish a pending post, at its own time or the one given."""
    post = _post(post_id)
    text = request.form.get("published_at", "").strip()
    moment = None
    if text:
        try:
            moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            flash("The publication time must look like 2026-12-01T09:30. Nothing was changed.")
            return _back(post)
    return _write(post, "Approved", posts.approve_post, published_at=moment)


@bp.post("/posts/<int:post_id>/request-changes")
@operator_required
def request_changes(post_id: int) -> Any:
    """Send a pending post back to its agent with a note."""
    post = _post(post_id)
    return _write(post, "Sent back", posts.request_changes, note=request.form.get("note", ""))


@bp.post("/posts/<int:post_id>/reject")
@operator_required
def reject(post_id: int) -> Any:
    """Reject a pending post."""
    post = _post(post_id)
    return _write(post, "Rejected", posts.reject_post, note=request.form.get("note", ""))


def _write(post: Post, done: str, operation: Any, *args: Any, **arguments: Any) -> Any:
    """Run one posts operation as the operator; say what happened, or why nothing did."""
    try:
        operation(post, *args, actor=operator_actor(), **arguments)
    except posts.NotPending as exc:
        flash(f"Nothing was changed: {exc} (someone may have decided first).")
    except posts.PostError as exc:
        flash(f"Nothing was changed: {exc}.")
    except LookupError:
        abort(404)
    else:
        flash(f"{done}: {post.title}")
    return _back(post)


def _back(post: Post) -> Any:
    return redirect(url_for("admin.post_detail", post_id=post.id), 303)


def _post(post_id: int) -> Post:
    post = posts.reads.post_by_id(post_id) if post_id <= MAX_ID else None
    if post is None:
        abort(404)
    return post
