"""Read an inbound e-mail into plain values (issue 7; seeds 000 and 003 on e-mail support).

Seed 003: "all support arrives via and will be documented" in the tracker, linked to the
client's e-mail address. A message is read leniently, the way real mail arrives: any charset,
encoded-word subjects, RFC 2231 file names, base64 and quoted-printable parts, HTML-only
bodies. Automatic mail (auto-replies, bounces, lists) is flagged so nobody ever answers it,
which is what keeps two robots from mailing each other forever. Only a message we cannot
route at all (no headers, no sender address) is a ParseError: the caller keeps it raw.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

CASE_IN_BRACKETS = re.compile(r"\[#(\d{1,9})\]")
# A bare "#12345" only from four digits on: "issue #2" is too likely to mean something else.
CASE_BARE = re.compile(r"(?<![\w&#])#(\d{4,9})\b")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
SUBJECT_MAX = 998
THREAD_IDS_MAX = 50  # a References header can list a whole thread; the newest are enough
ADDRESS_MAX = 254  # RFC 5321's limit for a whole address
HEADERS_MAX = 50  # more Authentication-Results than this is not from a mail server

AUTO_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
# Microsoft's way for a sender to ask for no automatic answers (a person may still write).
SUPPRESS_REPLIES = frozenset({"all", "autoreply", "oof"})
BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
TEXT_TYPES = frozenset({"text/plain", "text/html"})


class ParseError(ValueError):
    """The bytes are not a message we can route; the message says why."""


@dataclass(frozen=True)
class MailAttachment:
    """A file carried by the message, its name decoded, its bytes transfer-decoded."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    """What routing needs to know about one message."""

    message_id: str | None  # "<id@host>", as other mails' In-Reply-To quote it
    from_address: str  # lower case
    from_name: str
    subject: str
    case_number: int | None
    in_reply_to: tuple[str, ...]  # In-Reply-To first, then References newest first
    body: str  # plain text; HTML-only mail converted to text
    attachments: tuple[MailAttachment, ...]
    auto_reason: str | None  # why no one may answer it, or None for mail from a person
    no_auto_reply: bool = False  # a person wrote, but asked for no automatic answer
    # Each Authentication-Results header (RFC 8601) as one line; who wrote them is checked later.
    authentication_results: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()  # the addresses in Cc, lower case

    @property
    def is_auto(self) -> bool:
        return self.auto_reason is not None


def parse(raw: bytes) -> ParsedMail:
    """Read RFC 822 bytes; ParseError when there is no message or no sender to route."""
    if not raw or not raw.strip():
        raise ParseError("The message is empty.")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        return _read(message)
    except ParseError:
        raise
    except Exception as exc:  # the email package raises many kinds on hostile input
        raise ParseError(f"The message cannot be read: {type(exc).__name__}: {exc}") from exc


def _read(message: EmailMessage) -> ParsedMail:
    if not message.keys():
        raise ParseError("The message has no headers.")
    address, name = sender(message)
    subject = header_text(message, "Subject")
    body_part = _body_part(message)
    return ParsedMail(
        message_id=_first_id(header_text(message, "Message-ID")),
        from_address=address,
        from_name=name,
        subject=subject,
        case_number=case_number(subject),
        in_reply_to=_thread_ids(message),
        body=_body_text(body_part) if body_part is not None else "",
        attachments=tuple(_attachments(message, body_part)),
        auto_reason=auto_reason(message, address),
        no_auto_reply=_suppresses_replies(message),
        authentication_results=all_header_texts(message, "Authentication-Results"),
        cc=copied_addresses(message),
    )


def copied_addresses(message: Message) -> tuple[str, ...]:
    """The addresses in the Cc header(s), lower case, each once; () when unreadable."""
    raw = [str(value) for value in message.get_all("Cc", [])]
    try:
        pairs = getaddresses(raw)
    except Exception:  # a header too broken to read copies no one
        return ()
    found = (address.strip().lower() for _, address in pairs)
    return tuple(dict.fromkeys(a for a in found if "@" in a))


def header_text(message: Message, name: str) -> str:
    """A header as one line of text, encoded words decoded; "" when absent or unreadable."""
    try:
        value = message.get(name)
    except Exception:  # a header so broken the parser's header class gives up on it
        value = None
    if value is None:
        raw = _raw_header(message, name)
        if raw is None:
            return ""
        value = _decode_words(raw)
    text = str(value)
    if "=?" in text:  # an encoded word the lenient parser left alone
        text = _decode_words(text)
    return " ".join(text.split())[:SUBJECT_MAX]


def all_header_texts(message: Message, name: str) -> tuple[str, ...]:
    """Every occurrence of a header, each as one line (up to HEADERS_MAX of them)."""
    values = [value for key, value in message.raw_items() if key.lower() == name.lower()]
    texts = []
    for value in values[:HEADERS_MAX]:
        text = _decode_words(str(value)) if "=?" in str(value) else str(value)
        texts.append(" ".join(text.split())[:SUBJECT_MAX])
    return tuple(texts)


def _raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _decode_words(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except Exception:
        return text


def sender(message: Message) -> tuple[str, str]:
    """The From address (lower case) and display name; ParseError when there is none."""
    name, address = _structured_sender(message) or _loose_sender(message)
    address = address.strip().lower()
    local, at, domain = address.rpartition("@")
    if not (at and local and "." in domain and address.isprintable()) or (
        len(address) > ADDRESS_MAX or any(c.isspace() for c in address)
    ):
        raise ParseError("The message has no usable From address.")
    return address, " ".join(name.split())


def _structured_sender(message: Message) -> tuple[str, str] | None:
    try:
        found = message["From"].addresses
    except Exception:  # absent, or too broken for the structured parser
        return None
    return (found[0].display_name, found[0].addr_spec) if found else None


def _loose_sender(message: Message) -> tuple[str, str]:
    raw = _raw_header(message, "From") or ""
    pairs = getaddresses([raw])
    name, address = pairs[0] if pairs else parseaddr(raw)
    return _decode_words(name), address


def case_number(subject: str) -> int | None:
    """The case number quoted in a subject: "[#10042]" (what we send), else "#10042"."""
    match = CASE_IN_BRACKETS.search(subject) or CASE_BARE.search(subject)
    return int(match.group(1)) if match else None


def _first_id(value: str) -> str | None:
    match = MESSAGE_ID.search(value)
    return match.group(0) if match else None


def _thread_ids(message: Message) -> tuple[str, ...]:
    reply_to = MESSAGE_ID.findall(header_text(message, "In-Reply-To"))
    references = MESSAGE_ID.findall(header_text(message, "References"))
    ids: list[str] = []
    for found in [*reply_to, *reversed(references)]:
        if found not in ids:
            ids.append(found)
    return tuple(ids[:THREAD_IDS_MAX])


def auto_reason(message: Message, address: str) -> str | None:
    """Why this message came from a machine (and must never be answered), or None."""
    submitted = header_text(message, "Auto-Submitted").lower()
    if submitted and submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {submitted}"
    precedence = header_text(message, "Precedence").lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if header_text(message, name):
            return f"{name} header"
    if _raw_header(message, "Return-Path") is not None and header_text(
        message, "Return-Path"
    ).replace(" ", "") in ("<>", ""):
        return "empty Return-Path (a bounce)"
    if message.get_content_type() == "multipart/report":
        return "delivery report (a bounce)"
    if address.partition("@")[0] in BOUNCE_SENDERS:
        return f"sent by {address}"
    return None


def _suppresses_replies(message: Message) -> bool:
    values = header_text(message, "X-Auto-Response-Suppress").lower().split(",")
    return bool({value.strip() for value in values} & SUPPRESS_REPLIES)


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or bool(part.get_filename())


def _body_part(message: EmailMessage) -> Message | None:
    """The text the person wrote: text/plain preferred, else text/html; never a file."""
    if not message.is_multipart():
        if message.get_content_type() in TEXT_TYPES and not _is_attachment(message):
            return message
        return None
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None or _is_attachment(body) or body.get_content_type() not in TEXT_TYPES:
        return None
    return body


def decode_text(data: bytes, charset: str | None) -> str:
    """Bytes in the declared charset; undeclared or wrong charsets fall back without loss."""
    declared = (charset or "").strip().strip('"').lower()
    if declared in ("", "us-ascii", "ascii", "unknown-8bit", "x-unknown"):
        candidates = ["utf-8", "windows-1252"]
    else:
        candidates = [declared, "utf-8", "windows-1252"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")  # maps every byte: never fails


def _part_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    return decode_text(data, part.get_content_charset()).replace("\r\n", "\n")


def _body_text(part: Message) -> str:
    text = _part_text(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text.replace("\x00", "").strip()


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name and part.get_content_type() == "message/rfc822":
        name = "forwarded-message.eml"
    name = _decode_words(name) if name and "=?" in name else name
    return (name or "").strip() or "attachment"


def _part_bytes(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        return inner.as_bytes() if isinstance(inner, Message) else b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _leaves(part: Message):
    """Every part that is not a container; a forwarded message counts as one file."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part
        return
    for child in part.get_payload():
        yield from _leaves(child)


def _attachments(message: Message, body_part: Message | None) -> list[MailAttachment]:
    found = []
    for part in _leaves(message):
        if part is body_part:
            continue
        # The other rendering of the body (text next to HTML) and report parts are not files.
        if part.get_content_type() in TEXT_TYPES and not _is_attachment(part):
            continue
        if part.get_content_type().startswith("message/delivery-status"):
            continue
        found.append(
            MailAttachment(
                filename=_filename(part),
                content_type=part.get_content_type(),
                data=_part_bytes(part),
            )
        )
    return found


class _TextExtractor(HTMLParser):
    """HTML to readable text: block elements become line breaks, scripts and styles vanish."""

    SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "iframe"})
    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
        | {"blockquote", "pre", "hr", "section", "article", "header", "footer"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skipping = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.pieces.append("\n")
        if tag == "li":
            self.pieces.append("- ")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href if re.match(r"(?i)https?://", href) else None)

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in self.BLOCKS:
            self.pieces.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in self.BLOCKS:
            self.pieces.append("\n")
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and not self.skipping:
                self.pieces.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.pieces.append(data)


def html_to_text(markup: str) -> str:
    """The readable text of an HTML body: no tags, scripts or styles, entities decoded."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    lines = [" ".join(line.split()) for line in "".join(extractor.pieces).split("\n")]
    text = "\n".join(lines)
    return html.unescape(re.sub(r"\n{3,}", "\n\n", text)).strip()


_WROTE = (
    re.compile(r"^On .{4,200} wrote:$"),
    re.compile(r"^Am .{4,200} schrieb .{0,120}:$"),
)
_ORIGINAL = re.compile(r"^-{2,}\s*Original Message\s*-{2,}$", re.IGNORECASE)


def _quoted_or_blank(line: str) -> bool:
    return line.startswith(">") or not line.strip()


def reply_text(body: str) -> str:
    """The new part of a reply: the quoted thread below it is cut, unless nothing is left.

    Only a quote that runs to the end is cut, so answers written between quoted lines stay.
    """
    lines = body.split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _ORIGINAL.match(stripped):  # Outlook quotes the whole thread below this line
            cut = index
            break
        if any(p.match(stripped) for p in _WROTE) and all(
            _quoted_or_blank(rest) for rest in lines[index + 1 :]
        ):
            cut = index
            break
    else:
        while cut > 0 and _quoted_or_blank(lines[cut - 1]):
            cut -= 1
    kept = "\n".join(lines[:cut]).strip()
    return kept or body.strip()
