"""Whether an inbound e-mail's sender was checked by our mail server (RFC 8601; issue 16 item 7).

The receiving mail server checks SPF and DMARC and writes what it found into an
`Authentication-Results` header that starts with its own name (the authserv-id). Anyone can
put such a header into a message before it reaches us, so only headers whose authserv-id is
one of ours count. DMARC decides when it was checked (it covers the From domain); SPF, which
checks only the envelope sender, decides only when no DMARC result is given.

- `fail` (DMARC, or SPF without DMARC): the domain's owner says the mail is not theirs.
- `pass`: DMARC passed for the From domain (an SPF pass alone says nothing about From).
- anything else (softfail, neutral, none, temperror, no trusted header): not verified.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

# RFC 8601 method and result keywords: letters, digits, "-" and "_"; a method may carry "/1".
_METHOD_RESULT = re.compile(r"([a-z0-9_-]+)\s*(?:/\s*\d+\s*)?=\s*([a-z0-9_-]+)")


class Outcome(enum.StrEnum):
    VERIFIED = "verified"
    FAILED = "failed"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class AuthResults:
    """One Authentication-Results header: who wrote it and each method's result."""

    authserv_id: str
    results: tuple[tuple[str, str], ...]  # (method, result), lower case, in header order

    def of(self, method: str) -> tuple[str, ...]:
        return tuple(result for name, result in self.results if name == method)


@dataclass(frozen=True)
class SenderCheck:
    """What our trusted mail servers said about the sender, and in words why."""

    outcome: Outcome
    reason: str

    @property
    def failed(self) -> bool:
        return self.outcome == Outcome.FAILED


def trusted_ids(text: str) -> frozenset[str]:
    """The authserv-ids in a setting: separated by commas or spaces, compared in lower case."""
    names = [name.strip().lower() for name in re.split(r"[,\s]+", text or "")]
    return frozenset(name for name in names if name)


def _segments(value: str) -> list[str]:
    """The header split at ";" with (comments) removed; quoted strings kept whole."""
    segments: list[str] = []
    current: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
            if depth == 0:
                current.append(char)
        elif char == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            quoted = char != '"'
            current.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth:
            continue
        elif char == '"':
            quoted = True
            current.append(char)
        elif char == ";":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
    segments.append("".join(current))
    return segments


def parse_header(value: str) -> AuthResults | None:
    """One header's value; None when it names no authserv-id."""
    first, *rest = _segments(value)
    words = first.split()
    if not words:
        return None
    results = []
    for segment in rest:
        match = _METHOD_RESULT.match(segment.strip().lower())
        if match:
            results.append((match[1], match[2]))
    return AuthResults(words[0].lower(), tuple(results))


def _header_outcome(header: AuthResults) -> tuple[Outcome, str] | None:
    """The outcome one header gives, with the result it rests on; None when it says nothing."""
    for method in ("dmarc", "spf"):
        results = header.of(method)
        if not results:
            continue
        if "fail" in results:
            return Outcome.FAILED, f"{method}=fail"
        if method == "dmarc" and "pass" in results:
            return Outcome.VERIFIED, "dmarc=pass"
        return Outcome.UNVERIFIED, f"{method}={results[0]}"
    return None


def check_sender(headers: Iterable[str], trusted: frozenset[str]) -> SenderCheck:
    """The verdict of the trusted headers among `headers`: any failure wins, then a pass."""
    found: list[tuple[Outcome, str]] = []
    for value in headers:
        header = parse_header(value)
        if header is None or header.authserv_id not in trusted:
            continue  # a header we did not write proves nothing
        outcome = _header_outcome(header)
        if outcome is not None:
            found.append((outcome[0], f"{outcome[1]} (checked by {header.authserv_id})"))
    for wanted in (Outcome.FAILED, Outcome.VERIFIED, Outcome.UNVERIFIED):
        reasons = [reason for outcome, reason in found if outcome == wanted]
        if reasons:
            return SenderCheck(wanted, reasons[0])
    return SenderCheck(Outcome.UNVERIFIED, "no result from a trusted mail server")
