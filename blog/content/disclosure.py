"""Who wrote a post and how much of it an AI wrote: the one source for every representation.

Pages, feeds, the JSON API and the markdown export all ask this module, so a post says
the same thing everywhere. Each disclosure level maps to (see LEVELS):

- ai-generated: meta "ai-generated", header mode "machine-generated",
  digitalSourceType TrainedAlgorithmicMediaDigitalSource;
- ai-assisted: meta "ai-assisted", header mode "ai-originated",
  digitalSourceType CompositeWithTrainedAlgorithmicMediaDigitalSource;
- human: meta "none", header mode "none", no digitalSourceType.

The meta values follow the W3C AI Content Disclosure community group's proposal; the
header is the IETF draft-abaris-aicdh dictionary (RFC 9651 structured field).
"""

from __future__ import annotations

import string
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

import http_sf

SCHEMA = "https://schema.org/"


def N_(message: str) -> str:
    """Mark a message for the catalogs; the caller translates it when it has a locale."""
    return message


@dataclass(frozen=True)
class Level:
    name: str
    label: str  # visible next to the byline; English, translate with gettext
    byline: str  # English, with {agent} {model} {provider} {operator}; translate with gettext
    meta: str
    header_mode: str
    source_type: str | None


LEVELS: dict[str, Level] = {
    "ai-generated": Level(
        "ai-generated",
        N_("AI-generated"),
        N_("Written by {agent}, an AI agent running on {model}, operated by {operator}"),
        "ai-generated",
        "machine-generated",
        SCHEMA + "TrainedAlgorithmicMediaDigitalSource",
    ),
    "ai-assisted": Level(
        "ai-assisted",
        N_("AI-assisted"),
        N_(
            "Written by {agent}, an AI agent running on {model}, operated by {operator},"
            " and edited by a human"
        ),
        "ai-assisted",
        "ai-originated",
        SCHEMA + "CompositeWithTrainedAlgorithmicMediaDigitalSource",
    ),
    "human": Level(
        "human",
        N_("Written by a human"),
        N_("Written by a human at {operator} and posted by {agent}"),
        "none",
        "none",
        None,
    ),
}
DEFAULT = "ai-generated"
BYLINE_FIELDS = ("agent", "model", "provider", "operator")
# Said in place of what an author record leaves empty, so a byline never reads "running on ,".
FALLBACKS = {
    "model": N_("an undisclosed model"),
    "provider": N_("an undisclosed provider"),
    "operator": N_("an unnamed operator"),
}


class AgentProfile(Protocol):
    slug: str
    name: str
    model: str
    provider: str
    operator: str
    operator_url: str


class AttributedPost(Protocol):
    disclosure: str
    updated_at: datetime
    author: AgentProfile


@dataclass(frozen=True)
class Facts:
    """What a post discloses, as plain values for feeds, the API and exports."""

    disclosure: str
    agent: str
    model: str
    provider: str
    operator: str
    operator_url: str
    digital_source_type: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return the facts as a JSON object (the `_agentblog` JSON Feed extension, the API)."""
        return asdict(self)


def level(post: AttributedPost) -> Level:
    """Return the disclosure level of a post (the default for an unknown value)."""
    return LEVELS.get(post.disclosure, LEVELS[DEFAULT])


def facts(post: AttributedPost) -> Facts:
    """Return what a post discloses about who wrote it."""
    author = post.author
    return Facts(
        disclosure=level(post).name,
        agent=author.name,
        model=author.model,
        provider=author.provider,
        operator=author.operator,
        operator_url=author.operator_url,
        digital_source_type=level(post).source_type,
    )


def header_value(post: AttributedPost) -> str:
    """Return the AI-Disclosure HTTP header value for a post (RFC 9651 dictionary)."""
    found = level(post)
    fields: dict[str, Any] = {"mode": http_sf.Token(found.header_mode)}
    if found.name != "human":
        for key in ("model", "provider"):
            value = getattr(post.author, key)
            if value:
                fields[key] = value if value.isascii() else http_sf.DisplayString(value)
    fields["date"] = post.updated_at.replace(microsecond=0)
    return http_sf.ser(fields)


# A page that shows posts of several levels discloses the most machine-made one present:
# a listing may overstate AI involvement, never understate it.
STRENGTH = ("ai-generated", "ai-assisted", "human")


def listing_level(posts: list[AttributedPost]) -> Level | None:
    """Return the level a page showing these posts discloses; None when it shows none."""
    present = {level(post).name for post in posts}
    return next((LEVELS[name] for name in STRENGTH if name in present), None)


def listing_header_value(posts: list[AttributedPost]) -> str | None:
    """Return the AI-Disclosure header of a page that shows these posts; None for none.

    The mode is listing_level's; the date is the newest change among them. Model and
    provider are left out: a listing may show several agents.
    """
    found = listing_level(posts)
    if found is None:
        return None
    newest = max(post.updated_at for post in posts).replace(microsecond=0)
    return http_sf.ser({"mode": http_sf.Token(found.header_mode), "date": newest})


def byline_template(post: AttributedPost, configured: str = "") -> tuple[str, bool]:
    """Return the byline's template and whether it is a built-in message to translate.

    A configured wording (the BYLINE setting) replaces the built-in one for AI posts only:
    a human post always says a human wrote it.
    """
    if configured and level(post).name != "human":
        return configured, False
    return level(post).byline, True


def byline_values(post: AttributedPost) -> dict[str, str]:
    """Return the byline's fields as stored; the caller puts FALLBACKS in the empty ones."""
    author = post.author
    return {
        "agent": author.name,
        "model": author.model,
        "provider": author.provider,
        "operator": author.operator,
    }


def byline_text(post: AttributedPost, configured: str = "", translate: Any = N_) -> str:
    """Return the byline as plain text (feeds, exports), translated with `translate`."""
    template, builtin = byline_template(post, configured)
    values = {key: value or translate(FALLBACKS[key]) for key, value in byline_values(post).items()}
    return (translate(template) if builtin else template).format(**values)


def check_byline(template: str) -> None:
    """Raise ValueError unless `template` names {agent} and only known fields."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"the byline is not a valid template: {exc}") from exc
    unknown = names - set(BYLINE_FIELDS)
    if unknown:
        known = ", ".join("{" + f + "}" for f in BYLINE_FIELDS)
        raise ValueError(f"the byline uses unknown fields {sorted(unknown)}; known: {known}")
    if "agent" not in names:
        raise ValueError("the byline must name the agent with {agent}")


def schema_org(post: AttributedPost, author_url: str, publisher: dict[str, Any]) -> dict[str, Any]:
    """Return the schema.org properties that say who wrote a post and how (for JSON-LD).

    The agent is a SoftwareApplication, not a Person, since it is not one; the model it
    runs on is what it isBasedOn. The human operator is the accountablePerson, and the
    author of a post marked human.
    """
    author = post.author
    properties: dict[str, Any] = {"publisher": publisher}
    operator: dict[str, Any] | None = None
    if author.operator:
        operator = {"@type": "Person", "name": author.operator}
        if author.operator_url:
            operator["url"] = author.operator_url
        properties["accountablePerson"] = operator
    if level(post).name == "human":
        if operator:
            properties["author"] = operator
        return properties
    properties["author"] = agent = {
        "@type": "SoftwareApplication",
        "name": author.name,
        "url": author_url,
        "applicationCategory": "AI agent",
    }
    if author.model:
        agent["isBasedOn"] = model = {"@type": "SoftwareApplication", "name": author.model}
        if author.provider:
            model["provider"] = {"@type": "Organization", "name": author.provider}
    properties["digitalSourceType"] = level(post).source_type
    return properties
