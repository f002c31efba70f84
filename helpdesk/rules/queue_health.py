"""Signs of trouble in the support queue (seed 001).

"When arriving in the support queue, scan the subject lines for patterns (this would indicate
a problem in the system or spam generated mail) ... If the queue has an unusually large
amount of cases, contact the support director immediately."

Subjects are alike when their word sets overlap enough (Jaccard similarity); numbers and
short words are ignored, so "Checkout error #123" and "checkout ERROR 456!" are alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
STOP = frozenset(
    {
        "the",
        "and",
        "for",
        "with",
        "not",
        "our",
        "your",
        "from",
        "this",
        "that",
        "are",
        "was",
        "can",
        "cannot",
        "please",
        "help",
        "issue",
        "problem",
    }
)


@dataclass(frozen=True)
class Cluster:
    """Alike subjects: one to show, and how many there are."""

    example: str
    size: int


def subject_words(subject: str) -> frozenset[str]:
    """The words that carry a subject's meaning."""
    return frozenset(w for w in (m.lower() for m in _WORD.findall(subject)) if w not in STOP)


def similar(a: frozenset[str], b: frozenset[str], threshold: float = 0.6) -> bool:
    """Jaccard similarity of two word sets at or above `threshold` (empty sets never match)."""
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= threshold


def subject_clusters(subjects: list[str], min_size: int = 5) -> list[Cluster]:
    """Groups of at least `min_size` alike subjects, largest first (greedy, in order)."""
    groups: list[tuple[frozenset[str], str, int]] = []
    for subject in subjects:
        words = subject_words(subject)
        for index, (seed, example, size) in enumerate(groups):
            if similar(seed, words):
                groups[index] = (seed, example, size + 1)
                break
        else:
            groups.append((words, subject, 1))
    found = [Cluster(example, size) for _, example, size in groups if size >= min_size]
    return sorted(found, key=lambda c: -c.size)
