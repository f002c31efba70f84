"""User text becomes safe HTML once, at write time."""

from html.parser import HTMLParser

import pytest

from helpdesk.markup import render_markup

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<svg onload=alert(1)>",
    '<a href="https://e.com" onclick="alert(1)">x</a>',
    '<div hx-get="/admin" hx-trigger="load">x</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<iframe src=https://evil.example></iframe>",
    '<p style="behavior:expression(alert(1))">x</p>',
]


class ElementCollector(HTMLParser):
    """Collects the real elements and attributes a browser would build from the HTML."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_active_content_survives(payload):
    collector = ElementCollector()
    collector.feed(render_markup(payload))
    for tag, attrs in collector.elements:
        assert tag in {"p", "a", "br", "strong", "em"}, tag
        assert set(attrs) <= {"href", "rel", "title"}, attrs
        assert not (attrs.get("href") or "").lower().startswith(("javascript:", "data:"))


def test_markdown_and_links_render():
    html = render_markup("**bold** and https://help.example.com/page\n\n- one\n- two")
    assert "<strong>bold</strong>" in html
    assert '<a href="https://help.example.com/page" rel="nofollow noopener">' in html
    assert "<li>one</li>" in html


def test_code_is_shown_not_run_and_escaped_once():
    html = render_markup("```\n<b>x</b> & y\n```")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in html
