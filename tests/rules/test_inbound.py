"""Reading inbound mail: hand-made messages shaped like the ones real mail clients send."""

from __future__ import annotations

import base64

import pytest

from helpdesk.rules.inbound import (
    ParseError,
    case_number,
    decode_text,
    html_to_text,
    parse,
    reply_text,
)


def message(*headers: str, body: bytes = b"Hello.\r\n") -> bytes:
    """Header lines (CRLF joined, as on the wire), a blank line and the body."""
    return "\r\n".join(headers).encode("ascii") + b"\r\n\r\n" + body


PLAIN = ("From: Ann Example <Ann@Example.COM>", "To: support@helpdesk.invalid", "Subject: Help")


def test_a_plain_message_gives_sender_subject_id_and_text():
    mail = parse(message(*PLAIN, "Message-ID: <m1@example.com>", body=b"It broke.\r\n"))
    assert mail.from_address == "ann@example.com"
    assert mail.from_name == "Ann Example"
    assert mail.subject == "Help"
    assert mail.message_id == "<m1@example.com>"
    assert mail.body == "It broke."
    assert mail.attachments == ()
    assert not mail.is_auto


def test_a_missing_message_id_is_none_not_an_error():
    assert parse(message(*PLAIN)).message_id is None


@pytest.mark.parametrize(
    ("charset", "encoding", "text"),
    [
        ("iso-8859-1", "8bit", "Grüße aus Köln, ça va?"),
        ("utf-8", "8bit", "Привет, 你好, naïve"),
        ("iso-2022-jp", "7bit", "こんにちは、サポートさん"),
        ("windows-1252", "8bit", "“Quoted” – dash €"),
    ],
)
def test_bodies_in_their_declared_charset(charset, encoding, text):
    raw = message(
        *PLAIN,
        "MIME-Version: 1.0",
        f"Content-Type: text/plain; charset={charset}",
        f"Content-Transfer-Encoding: {encoding}",
        body=text.encode(charset),
    )
    assert parse(raw).body == text


def test_quoted_printable_latin1_body():
    raw = message(
        *PLAIN,
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="ISO-8859-1"',
        "Content-Transfer-Encoding: quoted-printable",
        body=b"Caf=E9 cr=E8me, a long line that is soft=\r\n broken.\r\n",
    )
    assert parse(raw).body == "Café crème, a long line that is soft broken."


def test_base64_utf8_body():
    raw = message(
        *PLAIN,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        body=base64.encodebytes("Größe: 10 €".encode()),
    )
    assert parse(raw).body == "Größe: 10 €"


def test_undeclared_8bit_utf8_and_unknown_charsets_still_read():
    undeclared = message(*PLAIN, body="Ärger".encode())
    assert parse(undeclared).body == "Ärger"
    bogus = message(*PLAIN, "Content-Type: text/plain; charset=x-no-such", body="é".encode())
    assert parse(bogus).body == "é"


def test_decode_text_falls_back_without_failing():
    assert decode_text("é".encode("latin-1"), "utf-8") == "é"  # windows-1252 fallback
    assert decode_text(b"\x81\x8d", None)  # bytes no codepage maps still give text


def test_encoded_word_subjects_and_names():
    raw = message(
        "From: =?utf-8?q?Doe,_J=C3=B6rg?= <jd@example.com>",
        "Subject: =?iso-8859-1?q?R=E9ponse_urgente?= =?utf-8?b?4pyU?= [#10042]",
    )
    mail = parse(raw)
    assert mail.from_name == "Doe, Jörg"
    assert mail.subject == "Réponse urgente✔ [#10042]"
    assert mail.case_number == 10042


def test_iso_2022_jp_subject():
    raw = message(
        "From: taro@example.jp",
        "Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=",
    )
    assert parse(raw).subject == "こんにちは"


MIXED = b"""From: Ann <ann@example.com>
Subject: Re: [#10077] Printer
Message-ID: <m2@example.com>
In-Reply-To: <out-2@helpdesk.invalid>
References: <out-1@helpdesk.invalid> <out-2@helpdesk.invalid>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Plain version =E2=9C=93
--inner
Content-Type: text/html; charset=utf-8

<p>HTML version</p>
--inner--

--outer
Content-Type: application/pdf
Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20final.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer
Content-Type: text/plain; name="=?utf-8?b?w6l0w6kudHh0?="
Content-Disposition: attachment; filename="=?utf-8?b?w6l0w6kudHh0?="

notes
--outer
Content-Type: application/octet-stream
Content-Disposition: attachment;
 filename*0*=iso-8859-1''Rapport%20;
 filename*1*=d%E9taill%E9.log

log line
--outer--
""".replace(b"\n", b"\r\n")


def test_nested_alternative_prefers_plain_text_and_keeps_files():
    mail = parse(MIXED)
    assert mail.body == "Plain version ✓"
    names = [(a.filename, a.content_type, a.data) for a in mail.attachments]
    assert names == [
        ("résumé final.pdf", "application/pdf", b"%PDF-1.4\n"),
        ("été.txt", "text/plain", b"notes"),
        ("Rapport détaillé.log", "application/octet-stream", b"log line"),
    ]


def test_thread_ids_are_in_reply_to_first_then_newest_reference():
    mail = parse(MIXED)
    assert mail.in_reply_to == ("<out-2@helpdesk.invalid>", "<out-1@helpdesk.invalid>")
    assert mail.case_number == 10077


HTML_ONLY = b"""From: ann@example.com
Subject: Screenshot
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><title>t</title><style>p{color:red}</style>
<script>alert('x')</script></head>
<body><p onclick="steal()">Hello &amp; welcome</p><div>Line<br>two</div>
<a href="https://example.com/x">the page</a> <a href="javascript:alert(1)">bad</a>
<img src=x onerror=alert(1)></body></html>
""".replace(b"\n", b"\r\n")


def test_html_only_bodies_become_text_without_script_or_style():
    body = parse(HTML_ONLY).body
    assert "alert" not in body and "color:red" not in body and "<" not in body
    assert "Hello & welcome" in body
    assert "Line\ntwo" in body
    assert "the page (https://example.com/x)" in body
    assert "javascript" not in body


def test_html_to_text_lists_and_entities():
    assert html_to_text("<ul><li>one</li><li>two &lt;b&gt;</li></ul>") == "- one\n\n- two <b>"


BOUNCE = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
Subject: Undelivered Mail Returned to Sender
Return-Path: <>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="r"

--r
Content-Type: text/plain

The mail could not be delivered.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
Final-Recipient: rfc822; gone@example.com
Action: failed
Status: 5.1.1
--r
Content-Type: message/rfc822

From: support@helpdesk.invalid
Subject: [#10001] We received your case

original text
--r--
""".replace(b"\n", b"\r\n")


def test_a_bounce_is_automatic_and_its_report_is_not_the_text():
    mail = parse(BOUNCE)
    assert mail.is_auto
    assert mail.body == "The mail could not be delivered."
    assert [a.filename for a in mail.attachments] == ["forwarded-message.eml"]
    assert b"original text" in mail.attachments[0].data


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: list",
        "Return-Path: <>",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
    ],
)
def test_automatic_mail_is_flagged(header):
    mail = parse(message(*PLAIN, header))
    assert mail.is_auto
    assert mail.auto_reason


@pytest.mark.parametrize(
    "header",
    ["Auto-Submitted: no", "Precedence: first-class", "Return-Path: <ann@example.com>"],
)
def test_mail_from_a_person_is_not_automatic(header):
    assert not parse(message(*PLAIN, header)).is_auto


def test_a_request_for_no_automatic_answers_is_noted_but_still_a_person():
    mail = parse(message(*PLAIN, "X-Auto-Response-Suppress: OOF, AutoReply"))
    assert mail.no_auto_reply and not mail.is_auto


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n",
        b"\x00\xff\xfe\x80 garbage \x81\x82",
        b"no header at all\r\n\r\nbody",
        message("Subject: nobody sent this"),
        message("From: undisclosed", "Subject: no address"),
        message("From: <>", "Subject: null sender"),
        message(f"From: {'a' * 250}@example.com", "Subject: address too long"),
        message("From: a\x01b@example.com", "Subject: control character"),
    ],
)
def test_unroutable_input_is_a_parse_error(raw):
    with pytest.raises(ParseError):
        parse(raw)


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("[#10042] Printer", 10042),
        ("Re: Re: [#10042] Printer", 10042),
        ("About case #10042 again", 10042),
        ("Order #12 is late", None),  # bare numbers need four digits
        ("[#12] short bracketed", 12),
        ("Colour &#10042; entity", None),
        ("no number", None),
        ("abc#10042", None),
    ],
)
def test_case_number_in_subject(subject, number):
    assert case_number(subject) == number


def test_reply_text_cuts_a_trailing_quote_only():
    reply = (
        "Thanks, that worked.\n\nOn Mon, 3 Jun 2024 at 10:00, Support <s@x> wrote:\n> Try this.\n"
    )
    assert reply_text(reply) == "Thanks, that worked."
    outlook = "Still broken.\n\n-----Original Message-----\nFrom: Support\nTry this."
    assert reply_text(outlook) == "Still broken."
    inline = "On Mon, Support wrote:\n> Which version?\n9.2\n> And the OS?\nLinux"
    assert reply_text(inline) == inline
    only_quote = "> just the quote"
    assert reply_text(only_quote) == only_quote
