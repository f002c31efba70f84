"""The status a case gets when an agent sends from the composer ("Send and ...").

Issue 14, item 2: one submit control, "Send" with the status to set, as Zendesk ("Submit as
Pending/Solved") and FreeScout do. The usual choice keeps today's behaviour: a public reply puts
the case in the customer's court (Answered), a private note changes nothing. The agent may instead
keep the case open (more work to do, the customer was only updated) or close it with the reply.
"""

from __future__ import annotations

import enum

from helpdesk.rules.folders import CaseStatus


class AfterSend(enum.StrEnum):
    """What the agent chose beside "Send"."""

    USUAL = ""  # reply: wait for the customer; note: leave the status alone
    WAIT = "answered"  # wait for the customer
    KEEP_OPEN = "open"
    CLOSE = "closed"


class SendRefused(ValueError):
    """The choice cannot apply to this case; the message says why, for the agent."""


def status_after_send(is_reply: bool, choice: AfterSend, current: CaseStatus) -> CaseStatus:
    """The case's status once the message is sent, or SendRefused for a closed case."""
    if current == CaseStatus.CLOSED:
        if is_reply:
            raise SendRefused(
                "This case is closed; the customer can reopen it. Add a note instead."
            )
        if choice not in (AfterSend.USUAL, AfterSend.CLOSE):
            raise SendRefused("This case is closed; a note cannot change its status.")
        return current
    if choice == AfterSend.USUAL:
        return CaseStatus.ANSWERED if is_reply else current
    return CaseStatus(choice.value)
