"""Search input and index text: words, CJK bigram tokens and escaped, highlighted snippets.

Pure: no Flask, no database. A query is data: only runs of letters and digits are kept, so
quotes, operators, `*`, `NEAR` and control characters never reach the database's parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

MAX_QUERY_CHARS = 500  # a longer query is cut: nobody types more, and it bounds the work
MAX_TERMS = 12
MAX_TERM_CHARS = 64
SNIPPET_CHARS = 200
MAX_BODY_CHARS = 200_000  # PostgreSQL refuses a tsvector past 1 MB; nobody searches past this

# Han, kana and Hangul: scripts written without spaces, indexed as overlapping pairs so
# that any two-character word is found.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{CJK}]+")
_WORD = re.compile(f"[^\\W_{CJK}]+")


@dataclass(frozen=True)
class Terms:
    """What a query asks for: words (all must match) and CJK runs (each as a phrase)."""

    words: tuple[str, ...]
    runs: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.words or self.runs)

    @property
    def needles(self) -> tuple[str, ...]:
        """Return the strings a snippet highlights."""
        return self.words + self.runs


def parse(query: str) -> Terms:
    """Return the words and CJK runs of `query`; runs of one character are dropped."""
    text = query[:MAX_QUERY_CHARS]
    words = [w[:MAX_TERM_CHARS] for w in _WORD.findall(text)]
    runs = [r[:MAX_TERM_CHARS] for r in _CJK_RUN.findall(text) if len(r) > 1]
    words = list(dict.fromkeys(w.lower() for w in words))[:MAX_TERMS]
    runs = list(dict.fromkeys(runs))[: max(0, MAX_TERMS - len(words))]
    return Terms(tuple(words), tuple(runs))


# Words that say nothing about what a post is about: left out when finding related posts,
# where each would make the query rank most of the blog.
_COMMON = frozenset(
    "the a an and or of to in on for with by at from is are was be it this that as not "
    "how why what my our your we you i".split()
)


def telling(found: Terms, most: int = 8) -> Terms:
    """Return the longest `most` words of `found` that are not short or common, and its runs."""
    words = [w for w in found.words if len(w) > 2 and w not in _COMMON]
    return Terms(tuple(sorted(words, key=len, reverse=True)[:most]), found.runs[:4])


def pair_token(first: str, second: str) -> str:
    """Return the ASCII token that stands for a pair of CJK characters in every index."""
    return f"c{ord(first):05x}{ord(second):05x}"


def run_tokens(run: str) -> list[str]:
    """Return the overlapping pair tokens of one CJK run, in order."""
    return [pair_token(a, b) for a, b in zip(run, run[1:], strict=False)]


def pairs(text: str) -> str:
    """Return the pair tokens of every CJK run in `text`, space-separated, for the index."""
    return " ".join(" ".join(run_tokens(run)) for run in _CJK_RUN.findall(text))


def fts5_query(terms: Terms) -> str:
    """Return an FTS5 MATCH expression: every word and every run as a quoted phrase."""
    phrases = [f'"{word}"' for word in terms.words]
    phrases += ['"' + " ".join(run_tokens(run)) + '"' for run in terms.runs]
    return " ".join(phrases)


def fts5_any(words: list[str]) -> str:
    """Return an FTS5 expression matching any of `words` (already parsed, quote-free)."""
    return " OR ".join(f'"{word}"' for word in words)


def snippet(text: str, terms: Terms) -> Markup:
    """Return a window of plain `text` around the first hit, escaped, hits in <mark>."""
    needles = sorted(terms.needles, key=len, reverse=True)
    if not needles:
        return Markup(escape(text[:SNIPPET_CHARS]))
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    first = pattern.search(text)
    start = 0 if first is None else max(0, first.start() - SNIPPET_CHARS // 3)
    window = text[start : start + SNIPPET_CHARS]
    out, last = [], 0
    for hit in pattern.finditer(window):
        out += [escape(window[last : hit.start()]), Markup("<mark>"), escape(hit.group())]
        out.append(Markup("</mark>"))
        last = hit.end()
    out.append(escape(window[last:]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET_CHARS < len(text) else ""
    return Markup(escape(prefix) + Markup("").join(out) + escape(suffix))
