from datetime import datetime, timedelta

import pytest

from helpdesk.rules.folders import (
    AWAITING_AGENT,
    CaseClock,
    CaseStatus,
    Folder,
    FolderSettings,
    folder_of,
)

NOW = datetime(2024, 6, 15, 12, 0, 0)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
AGENT = 7


def clock(
    status: CaseStatus,
    assignee_id: int | None = AGENT,
    awaiting_agent_since: datetime | None = None,
    last_agent_reply_at: datetime | None = None,
    customer_viewed_at: datetime | None = None,
) -> CaseClock:
    return CaseClock(
        status, assignee_id, awaiting_agent_since, last_agent_reply_at, customer_viewed_at
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(clock(CaseStatus.NEW, awaiting_agent_since=NOW - DAY), Folder.NEW, id="new"),
        pytest.param(
            clock(CaseStatus.OPEN, awaiting_agent_since=NOW - 5 * DAY), Folder.OPEN, id="open"
        ),
        pytest.param(
            clock(
                CaseStatus.WAITING,
                awaiting_agent_since=NOW - DAY,
                last_agent_reply_at=NOW - 3 * DAY,
            ),
            Folder.WAITING,
            id="waiting",
        ),
        pytest.param(
            clock(CaseStatus.NEW, assignee_id=None, awaiting_agent_since=NOW - DAY),
            Folder.QUEUE,
            id="unassigned new -> queue",
        ),
        pytest.param(
            clock(CaseStatus.WAITING, assignee_id=None, awaiting_agent_since=NOW - DAY),
            Folder.QUEUE,
            id="unassigned waiting -> queue",
        ),
        pytest.param(
            clock(CaseStatus.NEW, awaiting_agent_since=None),
            Folder.NEW,
            id="no clock -> never expires",
        ),
        pytest.param(
            clock(CaseStatus.OPEN, awaiting_agent_since=NOW - 30 * DAY),
            Folder.EXPIRED_1,
            id="exactly 30 days -> expired 1",
        ),
        pytest.param(
            clock(CaseStatus.OPEN, awaiting_agent_since=NOW - 30 * DAY + SECOND),
            Folder.OPEN,
            id="30 days minus a second -> open",
        ),
        pytest.param(
            clock(CaseStatus.NEW, awaiting_agent_since=NOW - 45 * DAY),
            Folder.EXPIRED_1,
            id="new never opened -> expired 1",
        ),
        pytest.param(
            clock(CaseStatus.NEW, assignee_id=None, awaiting_agent_since=NOW - 31 * DAY),
            Folder.EXPIRED_1,
            id="unassigned 31 days -> expired 1",
        ),
        pytest.param(
            clock(
                CaseStatus.WAITING,
                awaiting_agent_since=NOW - 2 * DAY,
                last_agent_reply_at=NOW - 200 * DAY,
                customer_viewed_at=NOW - 199 * DAY,
            ),
            Folder.WAITING,
            id="year-old case reopened recently -> waiting",
        ),
        pytest.param(
            clock(
                CaseStatus.ANSWERED,
                awaiting_agent_since=NOW - 10 * DAY,
                last_agent_reply_at=NOW - DAY,
            ),
            Folder.ANSWERED,
            id="answered yesterday -> answered",
        ),
        pytest.param(
            clock(
                CaseStatus.ANSWERED,
                last_agent_reply_at=NOW - 100 * DAY,
                customer_viewed_at=NOW - 99 * DAY,
            ),
            Folder.ANSWERED,
            id="viewed after the reply -> answered even after 100 days",
        ),
        pytest.param(
            clock(
                CaseStatus.ANSWERED,
                last_agent_reply_at=NOW - 7 * DAY,
                customer_viewed_at=NOW - 7 * DAY,
            ),
            Folder.ANSWERED,
            id="viewed at the reply instant -> answered",
        ),
        pytest.param(
            clock(
                CaseStatus.ANSWERED,
                last_agent_reply_at=NOW - 8 * DAY,
                customer_viewed_at=NOW - 9 * DAY,
            ),
            Folder.EXPIRED_2,
            id="viewed before the reply -> expired 2",
        ),
        pytest.param(
            clock(CaseStatus.ANSWERED, last_agent_reply_at=NOW - 7 * DAY),
            Folder.EXPIRED_2,
            id="never viewed, exactly 7 days -> expired 2",
        ),
        pytest.param(
            clock(CaseStatus.ANSWERED, last_agent_reply_at=NOW - 7 * DAY + SECOND),
            Folder.ANSWERED,
            id="never viewed, 7 days minus a second -> answered",
        ),
        pytest.param(
            clock(CaseStatus.ANSWERED, last_agent_reply_at=None),
            Folder.ANSWERED,
            id="answered without a reply time -> answered",
        ),
        pytest.param(
            clock(
                CaseStatus.CLOSED,
                awaiting_agent_since=NOW - SECOND,
                last_agent_reply_at=NOW - 2 * DAY,
            ),
            Folder.CLOSED,
            id="closed then customer replied -> closed",
        ),
        pytest.param(
            clock(CaseStatus.CLOSED, assignee_id=None, awaiting_agent_since=NOW - 400 * DAY),
            Folder.CLOSED,
            id="closed beats expired 1 and queue",
        ),
        pytest.param(
            clock(CaseStatus.CLOSED, last_agent_reply_at=NOW - 400 * DAY),
            Folder.CLOSED,
            id="closed beats expired 2",
        ),
    ],
)
def test_folder_of(case: CaseClock, expected: Folder) -> None:
    assert folder_of(case, NOW) == expected


CUSTOM = FolderSettings(agent_reply_days=3, unviewed_days=2)


@pytest.mark.parametrize(
    ("case", "default", "custom"),
    [
        (clock(CaseStatus.OPEN, awaiting_agent_since=NOW - 3 * DAY), Folder.OPEN, Folder.EXPIRED_1),
        (clock(CaseStatus.OPEN, awaiting_agent_since=NOW - 2 * DAY), Folder.OPEN, Folder.OPEN),
        (
            clock(CaseStatus.ANSWERED, last_agent_reply_at=NOW - 2 * DAY),
            Folder.ANSWERED,
            Folder.EXPIRED_2,
        ),
        (
            clock(CaseStatus.ANSWERED, last_agent_reply_at=NOW - DAY),
            Folder.ANSWERED,
            Folder.ANSWERED,
        ),
    ],
)
def test_custom_settings(case: CaseClock, default: Folder, custom: Folder) -> None:
    assert folder_of(case, NOW) == default
    assert folder_of(case, NOW, CUSTOM) == custom


def test_longer_settings_delay_expiry() -> None:
    case = clock(CaseStatus.NEW, awaiting_agent_since=NOW - 40 * DAY)
    assert folder_of(case, NOW, FolderSettings(agent_reply_days=60)) == Folder.NEW


def test_awaiting_agent_statuses() -> None:
    assert {CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING} == AWAITING_AGENT


@pytest.mark.parametrize("status", sorted(AWAITING_AGENT))
def test_each_awaiting_status_has_its_own_folder(status: CaseStatus) -> None:
    assert folder_of(clock(status, awaiting_agent_since=NOW), NOW).value == status.value
