"""Canned responses: seed 000's system e-mails ("FAQ-How to request a key", ...) with variables.

A template names its variables in single braces: {customer_name}, {case_number}, {agent_name},
{article_links} (the e-mail's list of help articles) and {article:<slug>} (one help article's
link). Filling them is one regular-expression pass over the text: only those names are
replaced, values are never scanned again, and there is no attribute, index or format-spec
access of any kind (str.format would allow `{customer_name.__class__}`). Anything else in
braces stays as written when sent and is refused when an administrator saves the template.
A subject is one line: line breaks in it, and in the values put into it, become spaces.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

VARIABLES: dict[str, str] = {
    "customer_name": "the recipient's name",
    "case_number": "the case number",
    "agent_name": "your name",
    "article_links": "the help articles this e-mail points to",
}
ARTICLE_PREFIX = "article:"
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# Anything in single braces without spaces looks like a placeholder to a person typing one;
# "{ and }" or "{}" are left alone as ordinary text.
_CANDIDATE = re.compile(r"\{([^{}\s]{1,120})\}")
_LINE_BREAKS = re.compile(r"[\r\n\u0085\u2028\u2029\v\f]+")


@dataclass(frozen=True)
class Placeholders:
    """What a template's braces name: variables, article slugs, and the unknown rest."""

    variables: tuple[str, ...]
    article_slugs: tuple[str, ...]
    unknown: tuple[str, ...]  # as written, braces included


def _article_slug(name: str) -> str | None:
    if not name.startswith(ARTICLE_PREFIX):
        return None
    slug = name.removeprefix(ARTICLE_PREFIX)
    return slug if SLUG.fullmatch(slug) else None


def placeholders(text: str, known: Collection[str] = VARIABLES) -> Placeholders:
    """Classify every brace placeholder in `text`, each once, in order of appearance
    (`known`: the variable names this kind of template may use)."""
    variables: dict[str, None] = {}
    slugs: dict[str, None] = {}
    unknown: dict[str, None] = {}
    for match in _CANDIDATE.finditer(text or ""):
        name = match.group(1)
        if name in known:
            variables[name] = None
        elif (slug := _article_slug(name)) is not None:
            slugs[slug] = None
        else:
            unknown[match.group(0)] = None
    return Placeholders(tuple(variables), tuple(slugs), tuple(unknown))


def one_line(text: str) -> str:
    """`text` with every line break (CR, LF, Unicode separators) turned into one space."""
    return _LINE_BREAKS.sub(" ", text or "")


def render(
    text: str,
    values: Mapping[str, str],
    article_links: Mapping[str, str] | None = None,
    known: Collection[str] = VARIABLES,
) -> str:
    """Fill known variables from `values` and {article:<slug>} from `article_links` (slug to
    link); a placeholder without a value stays as written."""
    links = article_links or {}

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name in known and name in values:
            return str(values[name])
        slug = _article_slug(name)
        if slug is not None and slug in links:
            return str(links[slug])
        return match.group(0)

    return _CANDIDATE.sub(fill, text or "")


def render_subject(
    text: str, values: Mapping[str, str], article_links: Mapping[str, str] | None = None
) -> str:
    """`render` for a subject line: one line, whatever the template or the values hold."""
    flat = {name: one_line(str(value)) for name, value in values.items()}
    links = {slug: one_line(link) for slug, link in (article_links or {}).items()}
    return one_line(render(text, flat, links)).strip()
