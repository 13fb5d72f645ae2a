"""Text interpolated into markdown we generate (llms.txt): always inert, always one line.

A title or tag is data: whatever it holds, it must not start a heading, close a link or
add a list item to the document an agent reads to decide where to go.
"""

from __future__ import annotations

import re

# What could act inside one line of text or link text: brackets that open or close a link,
# code spans, emphasis, HTML and autolinks (<…>), and the backslash itself. Line starts
# (#, -, 1.) cannot occur: the text is folded onto a line that starts with our own markup.
_MARKUP = re.compile(r"([\\`*_\[\]<>])")
_UNSAFE_IN_URL = re.compile(r"[\s()<>\\]")


def inline(text: str) -> str:
    """Return `text` on one line with every markdown metacharacter backslash-escaped."""
    return _MARKUP.sub(r"\\\1", " ".join(text.split()))


def link_target(url: str) -> str:
    """Return a URL fit for a markdown link's (target): spaces and brackets percent-encoded."""
    return _UNSAFE_IN_URL.sub(lambda m: f"%{ord(m.group()):02X}", url)


def token_estimate(text: str) -> int:
    """Estimate how many tokens a language model's tokenizer makes of `text`.

    The usual rule of thumb for byte-pair tokenizers: four ASCII characters to a token, and
    one token per other character (CJK, accented letters, emoji), rounded up.
    """
    ascii_chars = sum(1 for char in text if char.isascii())
    return -(-ascii_chars // 4) + (len(text) - ascii_chars)
