"""Macros: a saved reply an agent inserts into the composer, with variables and actions.

Issue 14, item 3 (after Zendesk's macros and FreeScout's saved replies): the eight system
e-mails of seed 000 and any reply an agent saves are macros. The body uses the system e-mails'
variables (helpdesk.rules.canned) plus {organisation}; a placeholder with no value, or one this
module does not know, stays visible in the text and is reported, so the agent sees what to fill
in before sending. Nothing here raises on a stored body or stored actions, however odd.

Actions are what sending with the macro also does, in the same transaction as the reply: set
the status, the case type and reason, add a priority factor, assign, append a help-article
link. `plan` turns the stored actions and the case's current state into the steps that would
change something; a step that would change nothing (the status is already set, a one-off factor
is already ticked, the link is already in the reply) is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from helpdesk.rules import canned
from helpdesk.rules import priority as priority_rules

VARIABLES: dict[str, str] = {
    **canned.VARIABLES,
    "article_links": "help articles matching the case",
    "organisation": "the customer's organisation",
}

# The statuses a macro may set, with the words the agent reads (values are CaseStatus values).
STATUSES: dict[str, str] = {
    "answered": "waiting on the customer",
    "open": "open",
    "closed": "closed",
}

ACTION_KEYS = (
    "status",
    "case_type_id",
    "case_reason_id",
    "priority_factor",
    "assignee_id",
    "article_slug",
)


@dataclass(frozen=True)
class Rendered:
    """A macro body with its variables filled, and the placeholders left as written."""

    text: str
    unknown: tuple[str, ...]  # braces included, e.g. "{order_number}", each once


def render(
    body: str, values: Mapping[str, str], article_links: Mapping[str, str] | None = None
) -> Rendered:
    """Fill the variables that have a value and the {article:<slug>} links that resolve; report
    every placeholder still in the text (unknown names, missing values, unknown articles)."""
    links = article_links or {}
    found = canned.placeholders(body or "", VARIABLES)
    text = canned.render(body or "", values, links, VARIABLES)
    left = [
        *(f"{{{name}}}" for name in found.variables if name not in values),
        *(f"{{article:{slug}}}" for slug in found.article_slugs if slug not in links),
        *found.unknown,
    ]
    return Rendered(text=text, unknown=tuple(dict.fromkeys(left)))


def unknown_placeholders(body: str) -> tuple[str, ...]:
    """Placeholders a macro body may not use (a form error when saving)."""
    return canned.placeholders(body or "", VARIABLES).unknown


def article_slugs(body: str) -> tuple[str, ...]:
    """The help articles a body links with {article:<slug>}."""
    return canned.placeholders(body or "", VARIABLES).article_slugs


@dataclass(frozen=True)
class Actions:
    """A macro's actions, read from what is stored; None means "leave it alone"."""

    status: str | None = None
    case_type_id: int | None = None
    case_reason_id: int | None = None
    priority_factor: str | None = None
    assignee_id: int | None = None
    article_slug: str | None = None

    def as_stored(self) -> dict[str, object]:
        """The JSON to store: only the actions that are set."""
        return {key: getattr(self, key) for key in ACTION_KEYS if getattr(self, key) is not None}

    @property
    def empty(self) -> bool:
        """No action at all: the macro only inserts text."""
        return not self.as_stored()


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def read_actions(stored: object) -> Actions:
    """Actions from stored JSON; anything of the wrong kind is ignored, never an error."""
    if not isinstance(stored, Mapping):
        return Actions()
    status = stored.get("status")
    factor = stored.get("priority_factor")
    slug = stored.get("article_slug")
    return Actions(
        status=status if status in STATUSES else None,
        case_type_id=_positive_int(stored.get("case_type_id")),
        case_reason_id=_positive_int(stored.get("case_reason_id")),
        priority_factor=factor if factor in priority_rules.BY_CODE else None,
        assignee_id=_positive_int(stored.get("assignee_id")),
        article_slug=slug if isinstance(slug, str) and canned.SLUG.fullmatch(slug) else None,
    )


@dataclass(frozen=True)
class CaseFacts:
    """What the plan needs to know about the case as it is now."""

    status: str
    case_type_id: int | None
    case_reason_id: int | None
    priority_factors: tuple[str, ...]
    assignee_id: int | None


@dataclass(frozen=True)
class Step:
    """One change sending with the macro makes: kind and the new value."""

    kind: str  # "status" | "classify" | "priority_factor" | "assignee" | "article"
    value: object


def _factor_fits(code: str, present: tuple[str, ...]) -> bool:
    limit = priority_rules.MAX_REPEAT if priority_rules.BY_CODE[code].repeatable else 1
    return present.count(code) < limit


def plan(actions: Actions, case: CaseFacts, reply: str, article_link: str | None) -> list[Step]:
    """The steps that change something, in the order they are applied.

    `article_link` is the link of the action's help article, or None when it does not resolve
    (the service only links public articles); the link step is left out when the reply already
    holds it.
    """
    steps: list[Step] = []
    if actions.status and actions.status != case.status:
        steps.append(Step("status", actions.status))
    classification = (actions.case_type_id, actions.case_reason_id)
    if actions.case_type_id and classification != (case.case_type_id, case.case_reason_id):
        steps.append(Step("classify", classification))
    if actions.priority_factor and _factor_fits(actions.priority_factor, case.priority_factors):
        steps.append(Step("priority_factor", actions.priority_factor))
    if actions.assignee_id and actions.assignee_id != case.assignee_id:
        steps.append(Step("assignee", actions.assignee_id))
    if article_link and article_link not in (reply or ""):
        steps.append(Step("article", article_link))
    return steps


def with_link(reply: str, title: str, link: str) -> str:
    """The reply with a help article's link appended on its own line (once)."""
    if link in reply:
        return reply
    return f"{reply.rstrip()}\n\n{title}: {link}"
