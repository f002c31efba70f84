"""Which Issue Tracker folder a case belongs in.

Source: seed 002, "Issue Tracker". An agent's cases are sorted into New (assigned,
not yet viewed), Open (viewed, the agent will come back to it), Waiting (the
customer replied), Expired 1 (the agent has not replied in 30 days), Expired 2
(the agent answered but the customer has neither viewed nor closed it) and Closed.
We add Queue for unassigned cases still awaiting an agent, and Answered for cases
where it is the customer's turn and nothing has expired (listed only under All).

Precedence: Closed beats everything; then Expired 1 for any case awaiting the
agent; then Queue for unassigned cases; then the status itself. An answered case
goes to Expired 2 once the answer has sat unviewed for the configured days.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class CaseStatus(enum.StrEnum):
    """Where a case stands in the conversation between customer and agent."""

    NEW = "new"  # not yet opened by the assignee
    OPEN = "open"  # opened by the assignee, not yet answered
    ANSWERED = "answered"  # the agent replied; the customer's turn
    WAITING = "waiting"  # the customer replied after an answer; the agent's turn
    CLOSED = "closed"


class Folder(enum.StrEnum):
    """A folder in the agent's Issue Tracker navigation."""

    QUEUE = "queue"  # shared support queue: unassigned and awaiting an agent
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"
    ANSWERED = "answered"  # customer's turn, not expired: visible only under All
    EXPIRED_1 = "expired_1"
    EXPIRED_2 = "expired_2"
    CLOSED = "closed"


AWAITING_AGENT = frozenset({CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING})


@dataclass(frozen=True)
class CaseClock:
    """The facts about a case that decide its folder."""

    status: CaseStatus
    assignee_id: int | None
    # When the agent's turn began: creation, the customer's last reply, or reopening.
    awaiting_agent_since: datetime | None
    last_agent_reply_at: datetime | None
    customer_viewed_at: datetime | None


@dataclass(frozen=True)
class FolderSettings:
    """How long before a case expires."""

    agent_reply_days: int = 30  # Expired 1
    unviewed_days: int = 7  # Expired 2


DEFAULT_SETTINGS = FolderSettings()


def folder_of(
    clock: CaseClock, now: datetime, settings: FolderSettings = DEFAULT_SETTINGS
) -> Folder:
    """Return the folder a case is listed in at the moment `now`."""
    if clock.status == CaseStatus.CLOSED:
        # A late customer message on a closed case must not resurrect it.
        return Folder.CLOSED

    if clock.status in AWAITING_AGENT:
        since = clock.awaiting_agent_since
        if since is not None and now - since >= timedelta(days=settings.agent_reply_days):
            return Folder.EXPIRED_1
        if clock.assignee_id is None:
            return Folder.QUEUE
        return Folder(clock.status.value)

    replied = clock.last_agent_reply_at
    if replied is None:
        return Folder.ANSWERED
    viewed = clock.customer_viewed_at
    unviewed = viewed is None or viewed < replied
    if unviewed and now - replied >= timedelta(days=settings.unviewed_days):
        return Folder.EXPIRED_2
    return Folder.ANSWERED
