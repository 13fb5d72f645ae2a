"""An author's profile in the admin: one form for every field an operator may change.

The form is checked by posts.save_author (posts.check_author), the one validation every
writer of authors uses (create-author, authors.yaml, this page).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from .. import posts
from ..http.signin import operator_actor, operator_required
from ..models import Author
from .blueprint import bp

TEXT_FIELDS = ("name", "model", "provider", "operator", "operator_url", "avatar_url", "policy")
QUOTAS = posts.authors.QUOTAS


@bp.get("/authors/<slug>")
@operator_required
def author_edit(slug: str) -> Any:
    """The author's profile, policy and quotas, in a form."""
    author = _author(slug)
    values = {name: getattr(author, name) for name in ("bio", *TEXT_FIELDS, *QUOTAS)}
    values["links"] = "\n".join(author.links or [])
    return render_template("admin/author.html", author=author, values=values, errors={})


@bp.post("/authors/<slug>")
@operator_required
def author_save(slug: str) -> Any:
    """Save the profile; a refusal shows the form again with what was wrong, nothing saved."""
    author = _author(slug)
    fields: dict[str, Any] = {name: request.form.get(name, "").strip() for name in TEXT_FIELDS}
    fields["bio"] = request.form.get("bio", "").replace("\r\n", "\n").strip()
    fields.update({name: _number(request.form.get(name, "")) for name in QUOTAS})
    links = request.form.get("links", "").splitlines()
    fields["links"] = [link.strip() for link in links if link.strip()]
    try:
        posts.save_author({"slug": author.slug, **fields}, actor=operator_actor())
    except posts.InvalidPost as exc:
        errors = {_form_field(error.field): error.message for error in reversed(exc.errors)}
        values = {**fields, "links": "\n".join(fields["links"])}
        page = render_template("admin/author.html", author=author, values=values, errors=errors)
        return page, 400
    flash(f"Saved the profile of {fields['name']}.")
    return redirect(url_for("admin.author_edit", slug=author.slug), 303)


def _form_field(name: str) -> str:
    """The form's field for an error: every links[i] is the one links box."""
    return "links" if name.startswith("links") else name


def _number(text: str) -> int | str | None:
    """An empty quota is None (the setting); digits a number; anything else is for check_author."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 10 else text


def _author(slug: str) -> Author:
    author = posts.reads.get_author(slug) if posts.SLUG_RE.match(slug) else None
    if author is None:
        abort(404)
    return author
