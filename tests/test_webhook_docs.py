"""The webhook documentation: the README and the API reference's section name every event and
header, and their signature check, run as written, accepts what the sender signs."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest
from flask import render_template

from helpdesk.rules.webhooks import EVENTS, sign
from helpdesk.services.webhooks.delivery import headers_for

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SECTION = README.split("## Webhooks\n", 1)[1].split("\n## ", 1)[0]
PARTIAL = (ROOT / "templates" / "api" / "_webhooks_docs.html").read_text()
HEADERS = [
    "Content-Type: application/json",
    "User-Agent: helpdesk-webhooks/1",
    "X-Helpdesk-Event",
    "X-Helpdesk-Delivery",
    "X-Helpdesk-Timestamp",
    "X-Helpdesk-Signature",
]


def readme_example() -> str:
    return re.search(r"```python\n(.*?)```", SECTION, re.DOTALL).group(1)


def partial_example() -> str:
    blocks = re.findall(r"<pre><code>(.*?)</code></pre>", PARTIAL, re.DOTALL)
    return html.unescape(next(block for block in blocks if "compare_digest" in block))


@pytest.mark.parametrize("text", [SECTION, PARTIAL], ids=["README", "API reference"])
def test_every_event_and_header_is_documented(text):
    for name in EVENTS:
        assert f"`{name}`" in text or f"<code>{name}</code>" in text, name
    for header in HEADERS:
        assert header in text, header


def test_both_places_show_the_same_check():
    assert readme_example().strip() == partial_example().strip()


@pytest.mark.parametrize("source", [readme_example, partial_example])
def test_the_documented_check_accepts_our_signature_and_refuses_the_rest(source, monkeypatch):
    scope: dict = {}
    exec(compile(source().replace('b"whsec_..."', 'b"whsec_doc"'), "doc", "exec"), scope)  # noqa: S102
    check = scope["is_from_helpdesk"]
    body = b'{"id":"d","event":"case.created","data":{}}'
    sent_at = 1_796_287_231
    headers = headers_for("case.created", "d", "whsec_doc", sent_at, body)
    monkeypatch.setattr(time, "time", lambda: sent_at + 60)

    assert check(headers, body)
    assert not check(headers, body + b" ")
    assert not check({**headers, "X-Helpdesk-Signature": sign("other", sent_at, body)}, body)
    monkeypatch.setattr(time, "time", lambda: sent_at + 301)
    assert not check(headers, body)  # older than five minutes


def test_the_api_reference_section_renders(app):
    with app.test_request_context():
        page = render_template("api/_webhooks_docs.html")
    assert 'id="webhooks"' in page and "compare_digest" in page
