"""Authentication-Results (RFC 8601): only our own mail server's verdict on a sender counts."""

from __future__ import annotations

import pytest

from helpdesk.rules.inbound import parse
from helpdesk.rules.mail_auth import (
    AuthResults,
    Outcome,
    check_sender,
    parse_header,
    trusted_ids,
)

OURS = frozenset({"mx.helpdesk.test"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "mx.helpdesk.test; spf=pass smtp.mailfrom=oldtown.test; dmarc=pass header.from=x",
            AuthResults("mx.helpdesk.test", (("spf", "pass"), ("dmarc", "pass"))),
        ),
        # Comments anywhere, nested, with ";" and "=" inside; a version after the id.
        (
            "MX.Helpdesk.Test 1; (checked (twice); a=b) DMARC = FAIL (p=reject; dis=none) "
            "header.from=oldtown.test; SPF/1=SoftFail",
            AuthResults("mx.helpdesk.test", (("dmarc", "fail"), ("spf", "softfail"))),
        ),
        # A quoted reason may hold ";" and parentheses: they neither split nor hide anything.
        (
            'mx.helpdesk.test; dkim=fail reason="bad; (sig)"; dmarc=pass',
            AuthResults("mx.helpdesk.test", (("dkim", "fail"), ("dmarc", "pass"))),
        ),
        ("mx.helpdesk.test 1; none", AuthResults("mx.helpdesk.test", ())),
        ("", None),
        ("(only a comment); dmarc=fail", None),
    ],
)
def test_a_header_gives_its_authserv_id_and_results(value, expected):
    assert parse_header(value) == expected


FAIL = "mx.helpdesk.test; spf=pass smtp.mailfrom=x; dmarc=fail header.from=oldtown.test"
PASS = "mx.helpdesk.test; spf=fail smtp.mailfrom=x; dmarc=pass header.from=oldtown.test"


@pytest.mark.parametrize(
    ("headers", "outcome", "reason"),
    [
        ((), Outcome.UNVERIFIED, "no result from a trusted mail server"),
        ((FAIL,), Outcome.FAILED, "dmarc=fail (checked by mx.helpdesk.test)"),
        # DMARC decides over SPF when both were checked.
        ((PASS,), Outcome.VERIFIED, "dmarc=pass (checked by mx.helpdesk.test)"),
        # Without DMARC, SPF decides: fail holds the mail, softfail only leaves it unverified.
        (("mx.helpdesk.test; spf=fail smtp.mailfrom=x",), Outcome.FAILED, "spf=fail"),
        (("mx.helpdesk.test; spf=softfail",), Outcome.UNVERIFIED, "spf=softfail"),
        (("mx.helpdesk.test; spf=pass",), Outcome.UNVERIFIED, "spf=pass"),
        (("mx.helpdesk.test; dmarc=none",), Outcome.UNVERIFIED, "dmarc=none"),
        (("mx.helpdesk.test; dkim=pass",), Outcome.UNVERIFIED, "no result"),
        # Anyone can write a header: another server's word, pass or fail, is ignored.
        (("evil.example; dmarc=fail",), Outcome.UNVERIFIED, "no result"),
        (("evil.example; dmarc=pass", FAIL), Outcome.FAILED, "dmarc=fail"),
        (("mx.helpdesk.test.evil.example; dmarc=pass",), Outcome.UNVERIFIED, "no result"),
        # Several trusted headers (or results): any failure wins over a pass.
        ((PASS, FAIL), Outcome.FAILED, "dmarc=fail"),
        (("mx.helpdesk.test; dmarc=pass; dmarc=fail",), Outcome.FAILED, "dmarc=fail"),
        (("MX.HELPDESK.TEST; DMARC=PASS",), Outcome.VERIFIED, "dmarc=pass"),
    ],
)
def test_the_verdict_rests_on_trusted_headers_only(headers, outcome, reason):
    check = check_sender(headers, OURS)
    assert check.outcome == outcome
    assert reason in check.reason
    assert check.failed == (outcome == Outcome.FAILED)


def test_nothing_is_trusted_until_an_authserv_id_is_set():
    assert check_sender((FAIL,), trusted_ids("")).outcome == Outcome.UNVERIFIED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", frozenset()),
        ("MX.Helpdesk.Test", OURS),
        (
            " mx.helpdesk.test, mx2.helpdesk.test  mx3 ",
            {"mx.helpdesk.test", "mx2.helpdesk.test", "mx3"},
        ),
    ],
)
def test_the_setting_lists_names_by_comma_or_space(text, expected):
    assert trusted_ids(text) == expected


def test_a_message_carries_every_authentication_results_header_unfolded():
    raw = (
        b"Authentication-Results: mx.helpdesk.test;\r\n"
        b"\tdmarc=fail (p=reject) header.from=oldtown.test\r\n"
        b"From: Ann <ann@oldtown.test>\r\n"
        b"Authentication-Results: evil.example; dmarc=pass\r\n"
        b"Subject: Hello\r\n\r\nHi.\r\n"
    )
    mail = parse(raw)
    assert mail.authentication_results == (
        "mx.helpdesk.test; dmarc=fail (p=reject) header.from=oldtown.test",
        "evil.example; dmarc=pass",
    )
    assert check_sender(mail.authentication_results, OURS).failed
