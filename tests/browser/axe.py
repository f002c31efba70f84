"""axe-core in the browser suite: inject the vendored engine into a page and read its findings.

The engine is tests/browser/vendor/axe.min.js (version in vendor/README.txt), so no run needs the
network. The page must come from a context opened with bypass_csp=True: the app's
Content-Security-Policy rightly refuses any script that is not its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
SERIOUS = ("serious", "critical")
# WCAG 2.x A and AA (2.0, 2.1, 2.2) plus axe's best practices (landmarks, heading order ...).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                   resultTypes: ['violations']}).then(r => r.violations)"""


@dataclass(frozen=True)
class Finding:
    """One axe rule broken on a page: how badly, by how many elements, and the first few."""

    rule: str
    impact: str
    help: str
    nodes: int
    targets: tuple[str, ...]

    def __str__(self) -> str:
        where = ", ".join(self.targets)
        return f"{self.rule} ({self.impact}, {self.nodes} element(s): {where}): {self.help}"


def run_axe(page: Page, impacts: tuple[str, ...] = SERIOUS) -> list[Finding]:
    """Every axe finding of the given impacts (serious or critical) on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(RUN, TAGS)
    return [
        Finding(
            rule=v["id"],
            impact=v["impact"],
            help=v["help"],
            nodes=len(v["nodes"]),
            targets=tuple(" ".join(map(str, n["target"])) for n in v["nodes"][:3]),
        )
        for v in violations
        if v["impact"] in impacts
    ]
