"""Authors, tokens, webhooks and the audit log in the admin: one page each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from .. import posts
from ..access import audit, tokens
from ..delivery import outbox, webhooks
from ..http.signin import operator_actor, operator_required
from ..models import Webhook
from .blueprint import bp

LIFETIMES = {"1 day": timedelta(days=1), "30 days": timedelta(days=30),
             "90 days": timedelta(days=90), "never": None}  # fmt: skip


@bp.get("/authors")
@operator_required
def authors() -> Any:
    """Every author: profile, policy."""
    return render_template("admin/authors.html", authors=posts.reads.all_authors())


@bp.post("/authors/<slug>/policy")
@operator_required
def author_policy(slug: str) -> Any:
    """Set an author's publishing policy."""
    author = posts.reads.get_author(slug) or abort(404)
    try:
        posts.review.set_policy(author, request.form.get("policy", ""), actor=operator_actor())
    except posts.InvalidPost as exc:
        flash(f"Nothing was changed: {exc}.")
    else:
        flash(f"{author.name} now has the policy {request.form['policy']}.")
    return redirect(url_for("admin.authors"), 303)


@bp.get("/tokens")
@operator_required
def token_list() -> Any:
    """Every token: author, scopes, dates, status; a form to issue one."""
    return render_template(
        "admin/tokens.html", tokens=tokens.all_tokens(), status=tokens.status,
        authors=posts.reads.all_authors(), scopes=tokens.SCOPES, lifetimes=LIFETIMES, secret=None,
    )  # fmt: skip


@bp.post("/tokens")
@operator_required
def token_create() -> Any:
    """Issue a token and show its secret once."""
    author = posts.reads.get_author(request.form.get("author", ""))
    chosen = tuple(s for s in tokens.SCOPES if request.form.get(f"scope-{s}") == "on")
    name = request.form.get("name", "").strip()
    errors: list[posts.FieldError] = []
    posts.check_text("name", name, errors, 200, one_line=True)
    lifetime_name = request.form.get("lifetime", "")
    quotas = (_quota("quota_hour", errors), _quota("quota_day", errors))
    if author is None or not chosen or errors or lifetime_name not in LIFETIMES:
        flash(
            "Nothing was issued: choose an author, at least one scope, a lifetime and a short name;"
            " quotas are empty or whole numbers."
        )
        return redirect(url_for("admin.token_list"), 303)
    lifetime = LIFETIMES[lifetime_name]
    raw, _ = tokens.issue(author, chosen, lifetime, name, actor=operator_actor(), quotas=quotas)
    return render_template(
        "admin/tokens.html", tokens=tokens.all_tokens(), status=tokens.status,
        authors=posts.reads.all_authors(), scopes=tokens.SCOPES, lifetimes=LIFETIMES, secret=raw,
    )  # fmt: skip


def _quota(name: str, errors: list[posts.FieldError]) -> int | None:
    """Read a token's quota field: empty is None (the setting), else a checked whole number."""
    text = request.form.get(name, "").strip()
    value: Any = None if not text else int(text) if text.isdigit() and len(text) < 10 else text
    posts.authors.check_quota_value(name, value, errors)
    return value if isinstance(value, int) else None


@bp.post("/tokens/<int:token_id>/revoke")
@operator_required
def token_revoke(token_id: int) -> Any:
    """Revoke a token from its next request on."""
    if token_id > 2**31 - 1 or tokens.revoke(token_id, actor=operator_actor()) is None:
        abort(404)
    flash(f"Revoked token {token_id}.")
    return redirect(url_for("admin.token_list"), 303)


@bp.get("/webhooks")
@operator_required
def webhook_list() -> Any:
    """Every webhook with its recent deliveries; a form to add one."""
    return _webhooks_page(secret=None)


def _webhooks_page(secret: str | None) -> str:
    rows = [(hook, webhooks.delivery_log(hook.id, 10)) for hook in webhooks.list_webhooks()]
    return render_template("admin/webhooks.html", rows=rows, events=outbox.EVENTS, secret=secret)


@bp.post("/webhooks")
@operator_required
def webhook_add() -> Any:
    """Add a webhook (its secret is shown once)."""
    events = [name for name in outbox.EVENTS if request.form.get(f"event-{name}") == "on"]
    actor = operator_actor()

    def note(hook: Webhook) -> None:
        audit.record(actor, "webhook.added", f"webhook {hook.id} ({hook.url})", hook.events)

    try:
        hook = webhooks.add_webhook(request.form.get("url", "").strip(), events, on_save=note)
    except ValueError as exc:
        flash(f"Nothing was added: {exc}.")
        return redirect(url_for("admin.webhook_list"), 303)
    return _webhooks_page(secret=hook.secret)  # shown once, never put in the session cookie


@bp.post("/webhooks/<int:webhook_id>/remove")
@operator_required
def webhook_remove(webhook_id: int) -> Any:
    """Remove a webhook and its deliveries."""
    actor = operator_actor()

    def note(hook: Webhook) -> None:
        audit.record(actor, "webhook.removed", f"webhook {hook.id} ({hook.url})")

    if webhook_id > 2**31 - 1 or not webhooks.remove_webhook(webhook_id, on_save=note):
        abort(404)
    flash(f"Removed webhook {webhook_id}.")
    return redirect(url_for("admin.webhook_list"), 303)


@bp.get("/audit")
@operator_required
def audit_log() -> Any:
    """The audit log, newest first, filtered by action, actor and target."""
    filters = {
        name: request.args.get(name, "").strip()[:100] for name in ("action", "actor", "target")
    }
    found = audit.entries(filters["action"] or None, filters["actor"] or None,
                          filters["target"] or None, limit=200)  # fmt: skip
    return render_template("admin/audit.html", entries=found, filters=filters)
