"""What machines may do with the blog's content: the one source for both vocabularies.

Our own spelling, used by the AI_USAGE setting and a post's `ai_usage` override, is a
comma-separated list of `category=yes|no` with three categories:

- search: a search index that links back (aipref `search`, Content Signals `search`);
- ai-input: input to a generative AI model, answers and summaries
  (aipref `ai-use`, Content Signals `ai-input`);
- ai-train: training or fine-tuning AI models (aipref `train-ai`, Content Signals `ai-train`).

A category left out is unknown (neither allowed nor disallowed). A post's override
replaces the blog's value category by category; a response that carries several posts'
content combines them as draft-ietf-aipref-vocab §7.1 says: a "no" anywhere wins.
"""

from __future__ import annotations

from collections.abc import Iterable

import http_sf

CATEGORIES = ("search", "ai-input", "ai-train")
# Our category -> label in draft-ietf-aipref-vocab (Content-Usage) and in Content Signals.
AIPREF = {"search": "search", "ai-input": "ai-use", "ai-train": "train-ai"}
SIGNALS = {"search": "search", "ai-input": "ai-input", "ai-train": "ai-train"}
WORDS = {"yes": True, "no": False}

Preferences = dict[str, bool]


def parse(text: str) -> Preferences:
    """Read `search=yes, ai-train=no`; raise ValueError naming what is outside the vocabulary."""
    if not isinstance(text, str):
        raise ValueError("must be text such as 'search=yes, ai-input=yes, ai-train=no'")
    found: Preferences = {}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        category, equals, word = (item.strip() for item in part.partition("="))
        if category not in CATEGORIES:
            known = ", ".join(CATEGORIES)
            raise ValueError(f"unknown category {category!r}; known: {known}")
        if not equals or word not in WORDS:
            raise ValueError(f"{category} must be yes or no, not {word!r}")
        if category in found:
            raise ValueError(f"{category} is given twice")
        found[category] = WORDS[word]
    return found


def canonical(text: str) -> str:
    """Return the stored spelling of a preference text: our order, lowercase words."""
    return spell(parse(text))


def spell(preferences: Preferences) -> str:
    """Write preferences in our own spelling, in the vocabulary's order."""
    return ", ".join(
        f"{c}={'yes' if preferences[c] else 'no'}" for c in CATEGORIES if c in preferences
    )


def effective(blog: str, override: str) -> Preferences:
    """Return a post's preferences: the blog's, with the post's override category by category."""
    return {**parse(blog), **parse(override)}


def combine(statements: Iterable[Preferences]) -> Preferences:
    """Combine several statements: disallowed if any disallows, else allowed if any allows."""
    combined: Preferences = {}
    for statement in statements:
        for category, allowed in statement.items():
            combined[category] = combined.get(category, True) and allowed
    return combined


def content_usage(preferences: Preferences) -> str:
    """Return the aipref Content-Usage value (an RFC 9651 dictionary of y/n tokens)."""
    return http_sf.ser(
        {
            AIPREF[c]: http_sf.Token("y" if preferences[c] else "n")
            for c in CATEGORIES
            if c in preferences
        }
    )


def content_signal(preferences: Preferences) -> str:
    """Return the Content-Signal value of robots.txt (`search=yes, ai-train=no`)."""
    return ", ".join(
        f"{SIGNALS[c]}={'yes' if preferences[c] else 'no'}" for c in CATEGORIES if c in preferences
    )
