"""BCP 47 language tags: validate, canonicalize, name, and match them to interface catalogs."""

from __future__ import annotations

from collections.abc import Iterable

import langcodes
from babel import Locale, UnknownLocaleError

MAX_TAG_LENGTH = 35  # RFC 5646 section 4.4.1: 35 characters hold any tag but the rarest
RTL_LANGS = {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku", "ps", "sd", "ug", "ur", "yi"}
RTL_SCRIPTS = {"arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg"}


def canonical(tag: str) -> str | None:
    """Return the canonical form of a valid BCP 47 tag ("zh-hans" -> "zh-Hans"), else None."""
    if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG_LENGTH or "_" in tag:
        return None
    # tag_is_valid checks each subtag against the IANA Language Subtag Registry.
    if not langcodes.tag_is_valid(tag):
        return None
    return langcodes.standardize_tag(tag)


def direction(tag: str) -> str:
    """Return "rtl" for right-to-left languages and scripts, else "ltr"."""
    parts = tag.lower().split("-")
    if parts[0] in RTL_LANGS or any(p in RTL_SCRIPTS for p in parts[1:]):
        return "rtl"
    return "ltr"


def _language_and_script(tag: str) -> tuple[str | None, str | None]:
    # Likely subtags fill in the script: "zh" and "zh-CN" are Hans, "zh-TW" is Hant.
    full = langcodes.Language.get(tag.replace("_", "-")).maximize()
    return full.language, full.script


def interface_locale(tag: str, available: Iterable[str]) -> str | None:
    """Return the available catalog written in the tag's language and script, or None."""
    wanted = _language_and_script(tag)
    for name in available:
        if _language_and_script(name) == wanted:
            return name
    return None


def autonym(tag: str, qualified: bool = False) -> str:
    """Name a language in itself ("中文", "English"); `qualified` adds script and region."""
    try:
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        return tag
    name = locale.get_display_name() if qualified else locale.get_language_name()
    return name or tag


def autonyms(tags: Iterable[str]) -> dict[str, str]:
    """Name each tag in itself, qualifying the ones that share a language ("中文 (简体)")."""
    tags = list(tags)
    languages = [tag.split("-")[0].lower() for tag in tags]
    return {
        tag: autonym(tag, qualified=languages.count(language) > 1)
        for tag, language in zip(tags, languages, strict=True)
    }
