"""Estimate how long a post takes to read: words and CJK/Thai characters counted apart.

The text is the plain text of a rendered post (code included). It is not normalized.

Characters (read at 500 a minute): code points of general category Lo, Lm or Nl in the
Han, Hiragana, Katakana and Thai blocks listed in ``_CHAR_BLOCKS`` (so 々, 〆, 〇, ー and
the Thai ๆ and ฯ count), plus every code point of the Supplementary and Tertiary Ideographic
Planes. Combining marks (Thai vowel and tone marks, the kana voicing marks U+3099/U+309A),
the spacing and half-width voicing marks ゛ ゜ ﾞ ﾟ, punctuation (。、「」・！？（）),
symbols and digits are never characters. Thai digits are numbers, hence words.

Words (read at 265 a minute) are counted in what is left once those characters are taken
out, so "我喜欢Python编程" is 1 word and 5 characters. A word is a maximal run that:

- starts with a letter or number (``str.isalnum``: categories L*, Nd, Nl, No), except the
  half-width voicing marks ﾞ ﾟ (Lm);
- continues with letters, numbers, underscores, combining marks (M*), the soft hyphen and
  ZWNJ/ZWJ, so "été" written with U+0301, Devanagari, vowelled Arabic and Hebrew, snake_case
  and __init__ are one word each;
- may go on after one joiner followed by a letter or number: an apostrophe (' or ’) or a
  hyphen (- ‐ ‑) anywhere ("don't", "well-known", "state-of-the-art"), or one of . , : between
  two digits ("3.14", "10,000", "12:30", "v1.2.3").

Anything else separates words, and a run with no letter or number is no word: "—", "->",
"C++" is 1 word ("C"), emoji are none. Hangul, Latin, Cyrillic, Greek, Arabic, Hebrew and
every other script outside the blocks above are read as space-delimited words.

Images add 12 s for the first, 11 s for the second, ... and 3 s each from the tenth on
(Medium's rule). Minutes are ceil(total seconds / 60), at least 1, computed exactly.
"""

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

WORDS_PER_MINUTE = 265
CHARS_PER_MINUTE = 500
FIRST_IMAGE_SECONDS = 12
LAST_IMAGE_SECONDS = 3

# Blocks whose letters are read one at a time; within them only categories Lo, Lm, Nl count.
_CHAR_BLOCKS = (
    (0x0E00, 0x0E7F),  # Thai
    (0x3000, 0x303F),  # CJK symbols and punctuation: 々 〆 〇, Hangzhou numerals, 〱-〵 〻
    (0x3040, 0x309F),  # Hiragana
    (0x30A0, 0x30FF),  # Katakana (・ is Po, so it drops out)
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFF66, 0xFF9D),  # Half-width katakana, without the voicing marks ﾞ ﾟ (FF9E-FF9F)
    (0x1AFF0, 0x1B16F),  # Kana Extended-B, Kana Supplement, Kana Extended-A, Small Kana
)
_CHAR_CATEGORIES = frozenset({"Lo", "Lm", "Nl"})
# Planes 2 and 3 hold ideographs only; unassigned ones count too, to keep up with new ones.
_IDEOGRAPHIC_PLANES = ((0x20000, 0x2FFFD), (0x30000, 0x3FFFD))
# Combining marks live below plane 2, but for the variation selectors supplement.
_MARK_SPANS = ((0x0300, 0x1FFFF), (0xE0100, 0xE01EF))
_MARK_CATEGORIES = frozenset({"Mn", "Mc", "Me"})


def _ranges(spans: Iterable[tuple[int, int]], categories: frozenset[str]) -> list[tuple[int, int]]:
    """Return the runs of code points in `spans` whose general category is in `categories`."""
    runs: list[tuple[int, int]] = []
    for low, high in spans:
        for cp in range(low, high + 1):
            if unicodedata.category(chr(cp)) not in categories:
                continue
            if runs and runs[-1][1] == cp - 1:
                runs[-1] = (runs[-1][0], cp)
            else:
                runs.append((cp, cp))
    return runs


def _class_body(runs: Iterable[tuple[int, int]]) -> str:
    """Return `runs` as the inside of a regex character class, written with escapes."""
    return "".join(rf"\U{low:08x}-\U{high:08x}" for low, high in runs)


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Return (CJK characters, words), built on first use: the scan of every code point's
    category takes ~70 ms, which every start would pay otherwise."""
    chars = re.compile(
        "["
        + _class_body(_ranges(_CHAR_BLOCKS, _CHAR_CATEGORIES))
        + _class_body(_IDEOGRAPHIC_PLANES)
        + "]"
    )
    start = r"[^\W_\uff9e\uff9f]"  # a letter or number, but not the half-width voicing marks
    tail = r"[\w\u00ad\u200c\u200d" + _class_body(_ranges(_MARK_SPANS, _MARK_CATEGORIES)) + "]"
    join = r"(?:['\u2019\-\u2010\u2011]|(?<=\d)[.,:](?=\d))"
    # Joiners are not in the tail, so each character has one way to match: linear time.
    return chars, re.compile(rf"{start}{tail}*(?:{join}{start}{tail}*)*")


@dataclass(frozen=True)
class ReadingTime:
    """How long a post takes to read, and what the estimate counted."""

    words: int  # space-delimited words (incl. code)
    cjk_chars: int  # counted characters of Han/Hiragana/Katakana/Thai runs
    images: int
    minutes: int  # ceil(total seconds / 60), at least 1


def _image_seconds(count: int) -> int:
    """Return the whole seconds that `count` images add; none for a count below 1."""
    count = max(count, 0)
    tapering = min(count, FIRST_IMAGE_SECONDS - LAST_IMAGE_SECONDS + 1)
    # 12 + 11 + ... for the first `tapering` images, then 3 s each.
    tapered = FIRST_IMAGE_SECONDS * tapering - tapering * (tapering - 1) // 2
    return tapered + LAST_IMAGE_SECONDS * (count - tapering)


def image_seconds(count: int) -> float:
    """Return the total seconds that `count` images add to the reading time."""
    return float(_image_seconds(count))


def estimate(text: str, images: int = 0) -> ReadingTime:
    """Estimate the reading time of the plain `text` of a post showing `images` images."""
    cjk, word = _patterns()
    rest, chars = cjk.subn(" ", text)
    words = len(word.findall(rest))
    images = max(images, 0)
    total = (
        Fraction(words, WORDS_PER_MINUTE)
        + Fraction(chars, CHARS_PER_MINUTE)
        + Fraction(_image_seconds(images), 60)
    )
    minutes = max(1, math.ceil(total))
    return ReadingTime(words=words, cjk_chars=chars, images=images, minutes=minutes)
