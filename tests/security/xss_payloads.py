"""XSS payloads, one technique each, and a checker that finds any of them live in a page.

Every payload carries its own marker (XSS_07 ...) so a finding names the payload it came from.
The script in each one is `alert(/XSS_07/)`: a regex literal, valid JavaScript without quotes,
so a payload that did execute in a browser really opens a dialog.

`live_findings(html)` parses a page with the standard library's HTMLParser and reports every
place where a marker became live markup: a <script> or <style> whose text holds it, an event
handler (on*) or htmx script attribute (hx-on*, hx-vars, js: in hx-vals, an hx-trigger [filter])
carrying it, a URL attribute starting with
javascript:, vbscript: or data: that holds it, an iframe srcdoc or CSS expression() holding it,
an attribute *name* made of payload text (broken markup), or template syntax that was evaluated.
"""

from __future__ import annotations

import contextlib
import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass(frozen=True)
class Payload:
    marker: str
    technique: str
    text: str
    # Text that only appears if the payload was *evaluated* (template injection), not shown.
    evaluated_tell: str | None = None
    # False for payloads that are plain text until something mis-renders them (bare URLs,
    # template syntax, percent-encoding): dropped into a page raw they are not markup yet.
    live_when_raw: bool = True


_TEMPLATES: list[tuple[str, str]] = [
    ("script tag", "<script>alert(/{m}/)</script>"),
    ("img onerror", "<img src=x onerror=alert(/{m}/)>"),
    ("svg onload", "<svg onload=alert(/{m}/)>"),
    ("script inside svg", "<svg><script>alert(/{m}/)</script></svg>"),
    ("markdown javascript: link", "[click me](javascript:alert(/{m}/))"),
    ("markdown data: link", "[open](data:text/html,%3Cscript%3Ealert(/{m}/)%3C/script%3E)"),
    ("html javascript: href", '<a href="javascript:alert(/{m}/)">link</a>'),
    ("double-quote attribute breakout", '"><script>alert(/{m}/)</script>'),
    ("single-quote attribute breakout", "'><img src=x onerror=alert(/{m}/)>"),
    ("textarea breakout", "</textarea><script>alert(/{m}/)</script>"),
    ("title breakout", "</title><script>alert(/{m}/)</script>"),
    ("iframe srcdoc", '<iframe srcdoc="<script>alert(/{m}/)</script>"></iframe>'),
    (
        "htmx hx-on after request",
        '<div hx-get="/" hx-trigger="load" hx-on::after-request="alert(/{m}/)">x</div>',
    ),
    ("htmx hx-on:click", '<button hx-on:click="alert(/{m}/)">b</button>'),
    ("htmx data-hx-on", '<div data-hx-on:htmx:load="alert(/{m}/)" data-hx-get="/">d</div>'),
    ("css expression", '<div style="width: expression(alert(/{m}/))">css</div>'),
    ("style tag import", "<style>@import 'javascript:alert(/{m}/)';</style>"),
    ("math/mglyph mutation", "<math><mtext><table><mglyph><style><img src=x onerror=alert(/{m}/)>"),
    ("details ontoggle", "<details open ontoggle=alert(/{m}/)>d</details>"),
    ("mixed-case script", "<ScRiPt>alert(/{m}/)</sCrIpT>"),
    ("entity-encoded handler", "<img src=x onerror=&#97;lert(/{m}/)>"),
    ("entity-encoded javascript:", '<a href="&#106;avascript:alert(/{m}/)">e</a>'),
    ("tab inside javascript:", '<a href="jav&#x09;ascript:alert(/{m}/)">t</a>'),
    ("unclosed img tag", "<img src=x onerror=alert(/{m}/) "),
    ("double open bracket", "<<script>alert(/{m}/)//<</script>"),
    ("body onload", "<body onload=alert(/{m}/)>"),
    ("autofocus onfocus", "<input autofocus onfocus=alert(/{m}/)>"),
    ("object data javascript:", '<object data="javascript:alert(/{m}/)"></object>'),
    ("embed data:text/html", '<embed src="data:text/html,<script>alert(/{m}/)</script>">'),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(/{m}/)">'),
    ("base href", '<base href="javascript:alert(/{m}/)//">'),
    ("svg xlink:href", '<svg><a xlink:href="javascript:alert(/{m}/)"><text>x</text></a></svg>'),
    ("noscript mutation", '<noscript><p title="</noscript><img src=x onerror=alert(/{m}/)>">'),
    ("button formaction", '<form><button formaction="javascript:alert(/{m}/)">f</button></form>'),
    ("custom tag handler", "<x onmouseover=alert(/{m}/)>hover</x>"),
    ("markdown mixed-case javascript:", "[x](JaVaScRiPt:alert(/{m}/))"),
    ("markdown image attribute breakout", '![pic](x" onerror="alert(/{m}/))'),
    ("unicode-escaped script", "\\u003cscript\\u003ealert(/{m}/)\\u003c/script\\u003e"),
    ("CRLF header then script", "{m}\r\nSet-Cookie: xss=1\r\n\r\n<script>alert(/{m}/)</script>"),
    ("leading-space javascript:", '<a href="  javascript:alert(/{m}/)">s</a>'),
    ("vbscript: href", '<a href="vbscript:msgbox({m})">v</a>'),
]

# Not markup until something mis-renders them: each has its own check.
_TEXT_ONLY: list[tuple[str, str, str | None]] = [
    ("jinja expression", "{m}={{{{7*7}}}}", "{m}=49"),
    ("jinja statement", "{m}{{% if 1 %}}=ran{{% endif %}}", "{m}=ran"),
    ("bare javascript: URL for linkify", "javascript:alert(/{m}/)", None),
    ("percent-encoded script", "%3Cscript%3Ealert(/{m}/)%3C/script%3E", None),
    ("str.format attribute access", "{m}{{customer_name.__class__}}", "{m}<class"),
]


def _build() -> list[Payload]:
    payloads = []
    for number, (technique, template) in enumerate(_TEMPLATES, start=1):
        marker = f"XSS_{number:02d}"
        payloads.append(Payload(marker, technique, template.format(m=marker)))
    for number, (technique, template, tell) in enumerate(_TEXT_ONLY, start=len(_TEMPLATES) + 1):
        marker = f"XSS_{number:02d}"
        payloads.append(
            Payload(
                marker,
                technique,
                template.format(m=marker),
                evaluated_tell=tell.format(m=marker) if tell else None,
                live_when_raw=False,
            )
        )
    return payloads


PAYLOADS: list[Payload] = _build()
BY_MARKER = {payload.marker: payload for payload in PAYLOADS}
MARKER = re.compile(r"XSS_\d\d", re.IGNORECASE)

# The nastiest, for the browser: each would open a dialog if it reached the page live.
BROWSER_SELECTION = [
    p.marker
    for p in PAYLOADS
    if p.technique
    in {
        "script tag",
        "img onerror",
        "svg onload",
        "double-quote attribute breakout",
        "single-quote attribute breakout",
        "textarea breakout",
        "iframe srcdoc",
        "htmx hx-on after request",
        "htmx data-hx-on",
        "details ontoggle",
        "math/mglyph mutation",
        "autofocus onfocus",
        "entity-encoded handler",
        "unclosed img tag",
        "markdown image attribute breakout",
    }
]

RAW_TEXT_TAGS = {"script", "style", "textarea", "title", "noscript", "iframe", "xmp", "noembed"}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "background",
    "poster",
    "codebase",
    "cite",
    "content",  # <meta http-equiv=refresh content="0;url=...">
}
HTMX_URL_ATTRIBUTES = {
    "hx-get",
    "hx-post",
    "hx-put",
    "hx-patch",
    "hx-delete",
    "hx-push-url",
    "hx-replace-url",
}
_SCHEMES = ("javascript:", "vbscript:", "data:")
_BAD_SCHEME = re.compile(r"^(?:javascript|vbscript|data):|url=(?:javascript|vbscript|data):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def _markers(text: str | None) -> set[str]:
    return {m.upper() for m in MARKER.findall(text or "")}


class _LiveMarkup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self._raw_text_tag: str | None = None

    def _found(self, marker: str, what: str) -> None:
        self.findings.append(f"{marker}: {what}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for marker in _markers(tag):
            self._found(marker, f"tag name <{tag}>")
        for name, value in attrs:
            value = value or ""
            name_markers = _markers(name)
            for marker in name_markers:
                self._found(marker, f"attribute name {name!r} on <{tag}>")
            value_markers = _markers(value)
            if not value_markers:
                continue
            lowered = name.lower()
            squeezed = _INVISIBLE.sub("", value).lower()
            htmx = lowered.removeprefix("data-")
            if lowered.startswith("on") or htmx.startswith(("hx-on", "hx-vars")):
                why = f"<{tag} {name}=...> carries it"
            elif htmx in {"hx-vals", "hx-headers", "hx-request"} and squeezed.startswith(
                ("js:", "javascript:")
            ):
                why = f"<{tag} {name}> is evaluated by htmx"
            elif htmx == "hx-trigger" and "[" in squeezed:
                why = f"<{tag} hx-trigger> has an evaluated [filter]"
            elif htmx in HTMX_URL_ATTRIBUTES and squeezed.startswith(_SCHEMES):
                why = f"<{tag} {name}={value[:40]!r}>"
            elif lowered == "srcdoc":
                why = f"<{tag} srcdoc> carries it"
            elif lowered == "style" and "expression(" in squeezed:
                why = f"<{tag} style> has expression()"
            elif lowered in URL_ATTRIBUTES and _BAD_SCHEME.search(squeezed):
                why = f"<{tag} {name}={value[:40]!r}>"
            else:
                continue
            for marker in value_markers:
                self._found(marker, why)
        if tag in RAW_TEXT_TAGS:
            # As a browser parses them: no tags inside until the matching end tag.
            self._raw_text_tag = tag
            self.set_cdata_mode(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in RAW_TEXT_TAGS:
            self._raw_text_tag = None
            self.clear_cdata_mode()

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw_text_tag:
            self._raw_text_tag = None

    def handle_data(self, data: str) -> None:
        if self._raw_text_tag in {"script", "style"}:
            for marker in _markers(data):
                self._found(marker, f"inside a live <{self._raw_text_tag}>")


def live_findings(page: str) -> list[str]:
    """Every payload marker that became live markup in `page` (empty when the page is safe)."""
    parser = _LiveMarkup()
    parser.feed(page)
    parser.close()
    findings = parser.findings
    if parser._raw_text_tag in {"script", "style"}:  # unclosed: the rest of the page is in it
        findings += [
            f"{m}: inside an unclosed <{parser._raw_text_tag}>" for m in _markers(parser.rawdata)
        ]
    text = html.unescape(page)
    for payload in PAYLOADS:
        if payload.evaluated_tell and payload.evaluated_tell in text:
            findings.append(f"{payload.marker}: template evaluated ({payload.evaluated_tell!r})")
    return findings


def markers_in(page: str) -> set[str]:
    """The payload markers a page shows at all (escaped or not)."""
    return _markers(html.unescape(page))


def chunks(limit: int, payloads: list[Payload] | None = None, sep: str = " ") -> list[str]:
    """Payload texts joined into as few strings of at most `limit` characters as possible."""
    out: list[str] = []
    current = ""
    for payload in payloads if payloads is not None else PAYLOADS:
        text = payload.text
        if len(text) > limit:
            continue
        candidate = f"{current}{sep}{text}" if current else text
        if len(candidate) > limit:
            out.append(current)
            candidate = text
        current = candidate
    if current:
        out.append(current)
    return out


def careless_render(text: str) -> str:
    """What a careless renderer would make of `text`: raw HTML kept, Markdown links and images
    turned into tags without checks, percent- and \\u-escapes decoded, bare URLs linked, and
    the text run as a Jinja template. The checker must find every payload in this output."""
    from urllib.parse import unquote

    import jinja2  # only the self-test needs it

    out = unquote(text)
    out = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), out)
    out = re.sub(r"!\[([^\]]*)\]\(([^)]*\)?)\)", r'<img alt="\1" src="\2">', out)
    out = re.sub(r"\[([^\]]*)\]\(([^)]*\)?)\)", r'<a href="\2">\1</a>', out)
    out = re.sub(r"(?<![\"'=/])(javascript:\S+)", r'<a href="\1">\1</a>', out)
    out = out.replace("{customer_name.__class__}", str(str))
    with contextlib.suppress(jinja2.TemplateError):
        out = jinja2.Environment(autoescape=False).from_string(out).render()  # noqa: S701
    return out
