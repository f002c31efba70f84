"""The status chosen beside "Send" on the case page."""

import pytest

from helpdesk.rules.folders import CaseStatus
from helpdesk.rules.send_status import AfterSend, SendRefused, status_after_send

OPEN_STATUSES = [CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.ANSWERED, CaseStatus.WAITING]


@pytest.mark.parametrize("current", OPEN_STATUSES)
def test_the_usual_reply_waits_for_the_customer(current):
    assert status_after_send(True, AfterSend.USUAL, current) == CaseStatus.ANSWERED


@pytest.mark.parametrize("current", OPEN_STATUSES)
def test_the_usual_note_leaves_the_status_alone(current):
    assert status_after_send(False, AfterSend.USUAL, current) == current


@pytest.mark.parametrize("is_reply", [True, False])
@pytest.mark.parametrize(
    ("choice", "status"),
    [
        (AfterSend.WAIT, CaseStatus.ANSWERED),
        (AfterSend.KEEP_OPEN, CaseStatus.OPEN),
        (AfterSend.CLOSE, CaseStatus.CLOSED),
    ],
)
def test_a_chosen_status_applies_to_replies_and_notes(is_reply, choice, status):
    assert status_after_send(is_reply, choice, CaseStatus.WAITING) == status


@pytest.mark.parametrize("choice", list(AfterSend))
def test_no_reply_goes_to_a_closed_case(choice):
    with pytest.raises(SendRefused, match="closed"):
        status_after_send(True, choice, CaseStatus.CLOSED)


@pytest.mark.parametrize("choice", [AfterSend.USUAL, AfterSend.CLOSE])
def test_a_note_on_a_closed_case_keeps_it_closed(choice):
    assert status_after_send(False, choice, CaseStatus.CLOSED) == CaseStatus.CLOSED


@pytest.mark.parametrize("choice", [AfterSend.WAIT, AfterSend.KEEP_OPEN])
def test_a_note_cannot_reopen_a_closed_case(choice):
    with pytest.raises(SendRefused, match="cannot change its status"):
        status_after_send(False, choice, CaseStatus.CLOSED)
