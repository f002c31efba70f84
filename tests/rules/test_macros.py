"""Macros: bodies rendered with unknown placeholders left visible and reported; the action plan."""

from __future__ import annotations

import pytest

from helpdesk.rules.macros import (
    Actions,
    CaseFacts,
    Step,
    plan,
    read_actions,
    render,
    unknown_placeholders,
    with_link,
)

VALUES = {
    "customer_name": "Ben",
    "case_number": "10001",
    "agent_name": "Lena",
    "organisation": "Harbor Theatre",
}
LINKS = {"open-support-case": "https://support.example/help/3"}


@pytest.mark.parametrize(
    ("body", "text", "unknown"),
    [
        ("Hello {customer_name} of {organisation}", "Hello Ben of Harbor Theatre", ()),
        ("Case #{case_number}, {agent_name}", "Case #10001, Lena", ()),
        ("See {article:open-support-case}", "See https://support.example/help/3", ()),
        ("See {article:gone}", "See {article:gone}", ("{article:gone}",)),
        ("Order {order_number}", "Order {order_number}", ("{order_number}",)),
        ("{article_links}", "{article_links}", ("{article_links}",)),  # no value given
        ("{x} {x} {customer_name}", "{x} {x} Ben", ("{x}",)),
        ("Attr {customer_name.__class__}", "Attr {customer_name.__class__}",
         ("{customer_name.__class__}",)),
        ("Lone { and } and {}", "Lone { and } and {}", ()),
        ("", "", ()),
    ],
)  # fmt: skip
def test_render_fills_what_it_can_and_reports_the_rest(body, text, unknown):
    rendered = render(body, VALUES, LINKS)
    assert rendered.text == text
    assert rendered.unknown == unknown


def test_render_never_scans_values_again():
    assert render("{customer_name}", {"customer_name": "{agent_name}"}).text == "{agent_name}"


@pytest.mark.parametrize(
    ("body", "unknown"),
    [
        ("Hi {customer_name} at {organisation}", ()),
        ("Hi {name}", ("{name}",)),
        ("{article:open-support-case}", ()),
    ],
)
def test_unknown_placeholders_are_what_a_saved_macro_may_not_use(body, unknown):
    assert unknown_placeholders(body) == unknown


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ({}, Actions()),
        (None, Actions()),
        ("closed", Actions()),
        ({"status": "closed"}, Actions(status="closed")),
        ({"status": "deleted"}, Actions()),
        ({"case_type_id": 3, "case_reason_id": 7}, Actions(case_type_id=3, case_reason_id=7)),
        ({"case_type_id": "3", "assignee_id": True}, Actions()),
        ({"assignee_id": -4}, Actions()),
        ({"priority_factor": "cannot_sell"}, Actions(priority_factor="cannot_sell")),
        ({"priority_factor": "made_up"}, Actions()),
        ({"article_slug": "open-support-case"}, Actions(article_slug="open-support-case")),
        ({"article_slug": "../etc"}, Actions()),
    ],
)
def test_read_actions_ignores_what_is_not_an_action(stored, expected):
    assert read_actions(stored) == expected


def test_stored_actions_round_trip_without_empty_keys():
    actions = Actions(status="open", assignee_id=5)
    assert actions.as_stored() == {"status": "open", "assignee_id": 5}
    assert read_actions(actions.as_stored()) == actions
    assert Actions().empty and not actions.empty


CASE = CaseFacts(
    status="open",
    case_type_id=1,
    case_reason_id=2,
    priority_factors=("after_hours_overnight",),
    assignee_id=9,
)
LINK = "https://support.example/help/3"


@pytest.mark.parametrize(
    ("actions", "reply", "link", "steps"),
    [
        (Actions(), "Hi", None, []),
        (Actions(status="closed"), "Hi", None, [Step("status", "closed")]),
        (Actions(status="open"), "Hi", None, []),  # already open
        (Actions(case_type_id=1, case_reason_id=3), "Hi", None,
         [Step("classify", (1, 3))]),
        (Actions(case_type_id=1, case_reason_id=2), "Hi", None, []),
        (Actions(case_reason_id=3), "Hi", None, []),  # a reason needs its type
        (Actions(priority_factor="cannot_sell"), "Hi", None,
         [Step("priority_factor", "cannot_sell")]),
        # repeatable: each contact counts again
        (Actions(priority_factor="after_hours_overnight"), "Hi", None,
         [Step("priority_factor", "after_hours_overnight")]),
        (Actions(assignee_id=9), "Hi", None, []),
        (Actions(assignee_id=4), "Hi", None, [Step("assignee", 4)]),
        (Actions(article_slug="open-support-case"), "Hi", LINK, [Step("article", LINK)]),
        (Actions(article_slug="open-support-case"), f"See {LINK}", LINK, []),
        (Actions(article_slug="internal-page"), "Hi", None, []),  # did not resolve
        (Actions(status="answered", assignee_id=4, article_slug="x"), "Hi", LINK,
         [Step("status", "answered"), Step("assignee", 4), Step("article", LINK)]),
    ],
)  # fmt: skip
def test_plan_keeps_only_the_steps_that_change_something(actions, reply, link, steps):
    assert plan(actions, CASE, reply, link) == steps


def test_a_one_off_factor_already_ticked_is_not_added_again():
    ticked = CaseFacts("open", None, None, ("cannot_sell",), None)
    assert plan(Actions(priority_factor="cannot_sell"), ticked, "", None) == []


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Thanks.", f"Thanks.\n\nOpening a case: {LINK}"),
        ("Thanks.\n\n", f"Thanks.\n\nOpening a case: {LINK}"),
        (f"See {LINK}", f"See {LINK}"),
    ],
)
def test_with_link_appends_the_article_once(reply, expected):
    assert with_link(reply, "Opening a case", LINK) == expected
