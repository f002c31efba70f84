"""Canned response variables: known names only, no attribute access, one-line subjects."""

from __future__ import annotations

import pytest

from helpdesk.rules.canned import Placeholders, one_line, placeholders, render, render_subject

VALUES = {
    "customer_name": "Ben",
    "case_number": "10001",
    "agent_name": "Lena",
    "article_links": "- a link",
}
LINKS = {"open-support-case": "https://support.example/help/open-support-case"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello {customer_name}, case #{case_number}", "Hello Ben, case #10001"),
        ("{agent_name}\n{article_links}", "Lena\n- a link"),
        ("See {article:open-support-case}", "See https://support.example/help/open-support-case"),
        ("Missing {article:no-such-page}", "Missing {article:no-such-page}"),
        ("Bad slug {article:Open_Case}", "Bad slug {article:Open_Case}"),
        ("Unknown {other} and {customer_name}", "Unknown {other} and Ben"),
        ("Attribute {customer_name.__class__}", "Attribute {customer_name.__class__}"),
        ("Index {customer_name[0]}", "Index {customer_name[0]}"),
        ("Spec {customer_name:>40}", "Spec {customer_name:>40}"),
        ("Conversion {customer_name!r}", "Conversion {customer_name!r}"),
        ("Lone { and } and {}", "Lone { and } and {}"),
        ("{{customer_name}}", "{Ben}"),
        ("", ""),
    ],
)  # fmt: skip
def test_render_fills_known_names_and_article_links_only(text, expected):
    assert render(text, VALUES, LINKS) == expected


def test_values_are_not_scanned_again():
    values = {**VALUES, "customer_name": "{case_number} {article:open-support-case}"}
    assert render("{customer_name}", values, LINKS) == "{case_number} {article:open-support-case}"


def test_a_variable_without_a_value_stays_visible():
    assert render("Hi {customer_name}", {}) == "Hi {customer_name}"


def test_subject_is_one_line_whatever_the_values_hold():
    values = {**VALUES, "customer_name": "Ben\r\nBcc: victim@example.com"}
    assert render_subject("Help for {customer_name}", values) == (
        "Help for Ben Bcc: victim@example.com"
    )
    assert render_subject("Line one\nline two {agent_name}", VALUES) == "Line one line two Lena"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a\nb", "a b"), ("a\r\n\r\nb", "a b"), ("a\u2028b\u0085c", "a b c"), ("plain", "plain")],
)
def test_one_line(text, expected):
    assert one_line(text) == expected


def test_placeholders_are_classified_once_each_in_order():
    text = (
        "{agent_name} {customer_name} {agent_name} {article:install-checklist} "
        "{custmer_name} {customer_name.__class__} {article:Bad Slug} { spaced } {}"
    )
    assert placeholders(text) == Placeholders(
        variables=("agent_name", "customer_name"),
        article_slugs=("install-checklist",),
        unknown=("{custmer_name}", "{customer_name.__class__}"),
    )


def test_article_prefix_with_an_invalid_slug_is_unknown():
    assert placeholders("{article:}{article:-x}{article:a--b}").unknown == (
        "{article:}",
        "{article:-x}",
        "{article:a--b}",
    )
