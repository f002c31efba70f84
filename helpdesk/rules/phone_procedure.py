"""Which system e-mail answers a phone call, from the caller's issue and support level.

Source: seed 000, "Procedures for Phone Support", steps IV-VI. A level-one technician
does not give technical support: they find the account, determine the level of support
and "send the appropriate response using a system FAQ".

Step IV, live support available (an active plan):
  a. License Key problem -> "FAQ-How to request a key" (customer's only)
  b. Installation help, or ANY support issue -> "FAQ-How to open a support case"
  c. Customization request -> "FAQ-Development resources"
  d. Hosting or website issue -> "FAQ-How to open a hosting ticket"
  e. Other (anything that doesn't fit the first 4) -> "FAQ-How to open a support case"
  4. A caller who would like more assistance: stay on the phone and walk them through.
Step V, no active support plan:
  a. License Key problem -> "FAQ-How to request a key" (customer's only)
  b. Report a bug -> "FAQ-How to report a bug"
  c. Installation help, or general support issue -> "FAQ-available support resources"
  d. Customization request -> "FAQ-Development resources"
  4. Persistent for help -> "FAQ-what are my priority support options", nothing more.
Step VI, versions 5.x and older -> "FAQ-Support for versions 5x and older", whatever the issue.
Step III.2, evaluating for months -> "These calls should be sent to sales instead" (no e-mail).
Step I.3, no account -> "there's nothing we can do to help. Instruct caller to have the
  person who purchased contact us for support" (no e-mail).

Gaps in the seed's table, decided here (and tested as such):
- Active plan + bug report: step IV has no bug option, so its catch-all IV.1.e ("Anything
  that doesn't fit into the first 4 options") applies: open a support case. That is also
  how a bug reaches tier II ("New Support Cases": bug reports go to a level-two technician).
- No plan + hosting or website issue: our hosting customers always have an active plan
  (step III.3), so this caller hosts elsewhere; it is a general support issue (V.1.c).
- No plan + other: step V has no catch-all; the general support answer (V.1.c) is its
  nearest equivalent, as "Other" mirrors "any support issue" in step IV.
- Key e-mail for a non-customer (an evaluator has no key to request): the issue is treated
  as the level's general support question: "How to open a support case" with an active
  plan (IV.1.b), "available support resources" without one (V.1.c).
- "Persistent" changes only step V (priority options). With an active plan the seed's
  answer to more assistance is staying on the phone (IV.4), not another e-mail; steps
  III.2, VI and I.3 have nothing more to offer, so the flag is ignored there.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from helpdesk.rules.eligibility import SupportLevel


class Issue(enum.StrEnum):
    """What the caller briefly describes (step IV.1 / V.1); values equal the case categories."""

    LICENCE_KEY = "licence_key"
    SUPPORT = "support"  # installation help or any support question
    CUSTOMISATION = "customisation"
    HOSTING = "hosting"
    BUG_REPORT = "bug_report"
    OTHER = "other"


ISSUE_LABELS: dict[Issue, str] = {
    Issue.LICENCE_KEY: "Licence key problem",
    Issue.SUPPORT: "Installation or support question",
    Issue.CUSTOMISATION: "Customisation request",
    Issue.HOSTING: "Hosting or website issue",
    Issue.BUG_REPORT: "Bug report",
    Issue.OTHER: "Other",
}

LEVEL_LABELS: dict[SupportLevel, str] = {
    SupportLevel.ACTIVE: "Active support plan",
    SupportLevel.NO_PLAN: "No active plan",
    SupportLevel.UNSUPPORTED: "Unsupported version (5.x or older)",
    SupportLevel.SEND_TO_SALES: "Send to sales",
    SupportLevel.NO_ACCOUNT: "No account",
}


class Action(enum.StrEnum):
    """What the agent does with the call."""

    EMAIL = "email"  # send the recommended system e-mail
    TRANSFER_TO_SALES = "transfer_to_sales"
    NO_SUPPORT = "no_support"  # nothing we can do: the purchaser must contact us


REQUEST_KEY = "faq-request-key"
OPEN_CASE = "faq-open-case"
DEVELOPMENT = "faq-development"
HOSTING_TICKET = "faq-hosting-ticket"
REPORT_BUG = "faq-report-bug"
SUPPORT_RESOURCES = "faq-support-resources"
PRIORITY_OPTIONS = "faq-priority-options"
OLD_VERSIONS = "faq-old-versions"

# Seed 000: "FAQ-How to request a key" is for "customer's only".
CUSTOMERS_ONLY = frozenset({REQUEST_KEY})

# The canned key per issue; the comments give the step of seed 000 each answer comes from
# (the step numbers are for developers: agents see the level and the issue instead).
_ACTIVE: dict[Issue, str] = {
    Issue.LICENCE_KEY: REQUEST_KEY,  # IV.1.a
    Issue.SUPPORT: OPEN_CASE,  # IV.1.b
    Issue.CUSTOMISATION: DEVELOPMENT,  # IV.1.c
    Issue.HOSTING: HOSTING_TICKET,  # IV.1.d
    Issue.OTHER: OPEN_CASE,  # IV.1.e
    Issue.BUG_REPORT: OPEN_CASE,  # IV.1.e (gap: no bug option with a plan)
}
_NO_PLAN: dict[Issue, str] = {
    Issue.LICENCE_KEY: REQUEST_KEY,  # V.1.a
    Issue.BUG_REPORT: REPORT_BUG,  # V.1.b
    Issue.SUPPORT: SUPPORT_RESOURCES,  # V.1.c
    Issue.CUSTOMISATION: DEVELOPMENT,  # V.1.d
    Issue.HOSTING: SUPPORT_RESOURCES,  # V.1.c (gap: not our hosting customer)
    Issue.OTHER: SUPPORT_RESOURCES,  # V.1.c (gap: no catch-all without a plan)
}
_GENERAL = {SupportLevel.ACTIVE: Issue.SUPPORT, SupportLevel.NO_PLAN: Issue.SUPPORT}

_SAY_AFTER_EMAIL = (
    "Assure the caller that the instructions just sent explain how to get help.",
    "Ask if there is anything else they need help with; if not, hang up.",
)
NO_ACCOUNT_ADVICE = (
    "Without an account we cannot help on this call. Ask the caller to have the person who "
    "made the purchase contact us for support."
)


@dataclass(frozen=True)
class Recommendation:
    """The seed's answer to one call: an action, the system e-mail if any, and why."""

    action: Action
    canned_key: str | None
    advice: str  # what the agent tells or does
    note: str = ""  # a substitution or a gap the agent should know about
    say: tuple[str, ...] = ()


def recommend(
    issue: Issue | str,
    level: SupportLevel | str,
    *,
    persistent: bool = False,
    is_customer: bool = True,
) -> Recommendation:
    """The system e-mail (or the transfer) seed 000 prescribes for this call."""
    issue, level = Issue(issue), SupportLevel(level)
    if level == SupportLevel.NO_ACCOUNT:
        return Recommendation(Action.NO_SUPPORT, None, NO_ACCOUNT_ADVICE)  # I.3
    if level == SupportLevel.SEND_TO_SALES:  # III.2
        return Recommendation(
            Action.TRANSFER_TO_SALES,
            None,
            "Evaluating for several months: transfer the call to Sales; no system e-mail.",
        )
    if level == SupportLevel.UNSUPPORTED:  # VI.1
        return Recommendation(
            Action.EMAIL,
            OLD_VERSIONS,
            "Let the caller know you are sending an e-mail with their support options.",
            say=_SAY_AFTER_EMAIL,
        )
    if level == SupportLevel.NO_PLAN and persistent:  # V.4
        return Recommendation(
            Action.EMAIL,
            PRIORITY_OPTIONS,
            "Explain that there is no active support plan, send the priority support options "
            "and let the caller know there is nothing more you can do at this time.",
        )
    table = _ACTIVE if level == SupportLevel.ACTIVE else _NO_PLAN
    key = table[issue]
    note = ""
    if key in CUSTOMERS_ONLY and not is_customer:
        key = table[_GENERAL[level]]
        note = (
            "The key e-mail is for customers only; this caller has not purchased, so they get "
            "the general support answer instead."
        )
    advice = "Ask the caller to briefly describe the issue and send this system e-mail."
    say = _SAY_AFTER_EMAIL
    if level == SupportLevel.ACTIVE and persistent:
        note = " ".join(
            part
            for part in (
                note,
                "If the caller would like more assistance, stay on the phone to make sure "
                "they receive the e-mail, or walk them through opening a case or requesting a "
                "key.",  # IV.4
            )
            if part
        )
    return Recommendation(Action.EMAIL, key, advice, note, say)


# --- System e-mail variables -----------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill_variables(text: str, values: dict[str, str]) -> str:
    """Replace `{name}` for the known names only; every other brace stays as written.

    Built on str.format_map, but only plain `{name}` fields of `values` reach it: all other
    braces are doubled first, so no attribute access (`{x.__class__}`), indexing, format spec
    or unbalanced brace can do anything but print itself.
    """
    pieces: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        pieces.append(_escape_braces(text[position : match.start()]))
        pieces.append(match.group(0) if match.group(1) in values else "{{" + match.group(1) + "}}")
        position = match.end()
    pieces.append(_escape_braces(text[position:]))
    return "".join(pieces).format_map({name: str(value) for name, value in values.items()})


def _escape_braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


# --- Linking a phone case to the e-mail on the same subject (seed 003) ----------------------

_WORD = re.compile(r"[^\W_]+")
_STOP_TEXT = """a about after again all also am an and any are as at be been but by can cannot
    could did do does doesn don for from get got had has have help hello hi how i if in into is it
    its me my need no not of on or our please re since so than that the their them then there
    this to too up us was we were what when where which who why will with won would you your
    fw fwd call called phone voice mail message question issue problem"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())


def subject_words(text: str) -> frozenset[str]:
    """The meaningful words of a subject: lower-case, three letters or more, no stop words."""
    return frozenset(
        word
        for word in (w.lower() for w in _WORD.findall(text or ""))
        if len(word) >= 3 and word not in _STOP_WORDS
    )


def shared_words(title: str, subject: str) -> frozenset[str]:
    """Meaningful words two subjects have in common (seed 003: "email on the same subject")."""
    return subject_words(title) & subject_words(subject)
