"""Seed 000 steps IV-VI as a table: every issue x support level, plus the seed's exceptions."""

from __future__ import annotations

import pytest

from helpdesk.models import Category
from helpdesk.rules.eligibility import SupportLevel
from helpdesk.rules.phone_procedure import (
    ISSUE_LABELS,
    LEVEL_LABELS,
    NO_ACCOUNT_ADVICE,
    Action,
    Issue,
    fill_variables,
    recommend,
    shared_words,
    subject_words,
)

ACTIVE, NO_PLAN = SupportLevel.ACTIVE, SupportLevel.NO_PLAN
UNSUPPORTED, SALES, NO_ACCOUNT = (
    SupportLevel.UNSUPPORTED,
    SupportLevel.SEND_TO_SALES,
    SupportLevel.NO_ACCOUNT,
)

# (issue, level, canned key), ids quoting seed 000's steps: the whole table for a customer who
# is not "persistent".
TABLE = [
    # Step IV "LIVE SUPPORT AVAILABLE"
    pytest.param(
        Issue.LICENCE_KEY, ACTIVE, "faq-request-key",
        id="IV: 'Is it a License Key problem? Use FAQ-How to request a key'",
    ),
    pytest.param(
        Issue.SUPPORT, ACTIVE, "faq-open-case",
        id="IV: 'Installation help, or ANY support issue. Use FAQ-How to open a support case'",
    ),
    pytest.param(
        Issue.CUSTOMISATION, ACTIVE, "faq-development",
        id="IV: 'Customization request. Use FAQ-Development resources'",
    ),
    pytest.param(
        Issue.HOSTING, ACTIVE, "faq-hosting-ticket",
        id="IV: 'hosting or website issue? Use FAQ-How to open a hosting ticket'",
    ),
    pytest.param(
        Issue.OTHER, ACTIVE, "faq-open-case",
        id="IV: 'Other (anything that doesn't fit the first 4) Use FAQ-How to open a support case'",
    ),
    pytest.param(
        Issue.BUG_REPORT, ACTIVE, "faq-open-case",
        id="gap IV: a bug report with a plan falls under 'Other': open a support case",
    ),
    # Step V "NO ACTIVE SUPPORT PLAN"
    pytest.param(
        Issue.LICENCE_KEY, NO_PLAN, "faq-request-key",
        id="V: 'Is it a License Key problem? Use FAQ-How to request a key'",
    ),
    pytest.param(
        Issue.BUG_REPORT, NO_PLAN, "faq-report-bug",
        id="V: 'Do they want to report a bug? Use FAQ-How to report a bug'",
    ),
    pytest.param(
        Issue.SUPPORT, NO_PLAN, "faq-support-resources",
        id="V: 'Installation help, or general support issue. Use FAQ-available support resources'",
    ),
    pytest.param(
        Issue.CUSTOMISATION, NO_PLAN, "faq-development",
        id="V: 'Customization request. Use FAQ-Development resources'",
    ),
    pytest.param(
        Issue.HOSTING, NO_PLAN, "faq-support-resources",
        id="gap V: hosting without a plan is not our hosting (III.3): general support resources",
    ),
    pytest.param(
        Issue.OTHER, NO_PLAN, "faq-support-resources",
        id="gap V: step V has no 'Other': general support resources",
    ),
    # Step VI "UNSUPPORTED SOFTWARE VERSIONS 5.x and OLDER": one e-mail, whatever the issue
    *[
        pytest.param(
            issue, UNSUPPORTED, "faq-old-versions",
            id=f"VI: 'Use FAQ-Support for versions 5x and older' ({issue})",
        )
        for issue in Issue
    ],
]  # fmt: skip


@pytest.mark.parametrize(("issue", "level", "key"), TABLE)
def test_the_seed_table_gives_one_system_email_per_cell(issue, level, key):
    advice = recommend(issue, level)
    assert (advice.action, advice.canned_key) == (Action.EMAIL, key)
    assert advice.advice


@pytest.mark.parametrize("issue", list(Issue))
@pytest.mark.parametrize("persistent", [False, True])
def test_send_to_sales_transfers_the_call_without_email(issue, persistent):
    # Step III.2: "You may need to look for users who have been evaluating for several months.
    # These calls should be sent to sales instead."
    advice = recommend(issue, SALES, persistent=persistent)
    assert (advice.action, advice.canned_key) == (Action.TRANSFER_TO_SALES, None)
    assert "Sales" in advice.advice


@pytest.mark.parametrize("issue", list(Issue))
def test_no_account_means_nothing_we_can_do(issue):
    # Step I.3: "there's nothing we can do to help. Instruct caller to have the person who
    # purchased AbleCommerce contact us for support."
    advice = recommend(issue, NO_ACCOUNT)
    assert (advice.action, advice.canned_key) == (Action.NO_SUPPORT, None)
    assert advice.advice == NO_ACCOUNT_ADVICE
    assert "person who made the purchase contact us for support" in NO_ACCOUNT_ADVICE


@pytest.mark.parametrize("issue", list(Issue))
def test_a_persistent_caller_without_a_plan_gets_the_priority_options(issue):
    # Step V.4: "If they are persistent for help, send the system email 'FAQ-what are my
    # priority support options' and let caller know there is nothing more you can do."
    advice = recommend(issue, NO_PLAN, persistent=True)
    assert advice.canned_key == "faq-priority-options"
    assert "nothing more" in advice.advice


@pytest.mark.parametrize("issue", list(Issue))
def test_persistence_does_not_change_the_email_with_a_plan(issue):
    # Step IV.4: with a plan, more assistance means staying on the phone, not another e-mail.
    assert (
        recommend(issue, ACTIVE, persistent=True).canned_key == recommend(issue, ACTIVE).canned_key
    )
    assert "stay on the phone" in recommend(issue, ACTIVE, persistent=True).note


@pytest.mark.parametrize("issue", list(Issue))
def test_persistence_does_not_change_unsupported_versions(issue):
    assert recommend(issue, UNSUPPORTED, persistent=True).canned_key == "faq-old-versions"


@pytest.mark.parametrize(
    ("level", "key"),
    [
        (ACTIVE, "faq-open-case"),  # IV.1.a -> IV.1.b
        (NO_PLAN, "faq-support-resources"),  # V.1.a -> V.1.c
    ],
)
def test_the_key_email_is_for_customers_only(level, key):
    # "Use system email 'FAQ-How to request a key' (customer's only)": an evaluator has no
    # key to request, so they get the level's general support answer, and the agent is told.
    advice = recommend(Issue.LICENCE_KEY, level, is_customer=False)
    assert advice.canned_key == key
    assert "customers only" in advice.note


def test_non_customers_get_the_other_emails_unchanged():
    for issue in Issue:
        if issue != Issue.LICENCE_KEY:
            assert (
                recommend(issue, ACTIVE, is_customer=False).canned_key
                == recommend(issue, ACTIVE).canned_key
            )


def test_every_level_and_issue_has_an_answer_and_a_label():
    for level in SupportLevel:
        assert LEVEL_LABELS[level]
        for issue in Issue:
            for persistent in (False, True):
                for customer in (False, True):
                    recommend(issue, level, persistent=persistent, is_customer=customer)
    assert set(ISSUE_LABELS) == set(Issue)
    assert ISSUE_LABELS[Issue.SUPPORT] == "Installation or support question"


def test_issues_are_the_case_categories():
    assert {issue.value for issue in Issue} == {category.value for category in Category}


def test_plain_strings_are_accepted():
    assert recommend("support", "no_plan").canned_key == "faq-support-resources"
    with pytest.raises(ValueError):
        recommend("nonsense", "active")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello {customer_name}, case #{case_number}", "Hello Ben, case #10001"),
        ("{agent_name}\n{article_links}", "Lena\n- a link"),
        ("Unknown {other} and {customer_name}", "Unknown {other} and Ben"),
        ("Attribute {customer_name.__class__}", "Attribute {customer_name.__class__}"),
        ("Index {customer_name[0]}", "Index {customer_name[0]}"),
        ("Spec {customer_name:>40}", "Spec {customer_name:>40}"),
        ("Conversion {customer_name!r}", "Conversion {customer_name!r}"),
        ("Lone { and } and {{doubled}}", "Lone { and } and {{doubled}}"),
        ("{{customer_name}}", "{Ben}"),
        ("Empty {} and {0}", "Empty {} and {0}"),
        ("", ""),
    ],
)  # fmt: skip
def test_fill_variables_fills_known_names_only(text, expected):
    values = {"customer_name": "Ben", "case_number": "10001", "agent_name": "Lena"}
    values["article_links"] = "- a link"
    assert fill_variables(text, values) == expected


def test_variable_values_are_not_formatted_again():
    assert fill_variables("{customer_name}", {"customer_name": "{case_number} }{"}) == (
        "{case_number} }{"
    )


def test_shared_words_ignore_case_short_and_common_words():
    assert subject_words("Re: The checkout page is broken!") == {"checkout", "page", "broken"}
    assert shared_words("Checkout broken after update", "Fwd: checkout page error") == {"checkout"}
    assert shared_words("Call about the printer", "A question about my invoice") == frozenset()
