"""Queue health (seed 001): a banner when the support queue is unusually large or many recent
subjects are alike, and one mail to the support director per alert and day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, CaseTally, Role, Setting, User
from helpdesk.rules.folders import AWAITING_AGENT
from helpdesk.rules.queue_health import subject_clusters
from helpdesk.services.core import settings
from helpdesk.services.mail import outbox

SENT_KEY = "queue_alerts_mailed"
RECENT_LIMIT = 500


@dataclass(frozen=True)
class Alert:
    text: str
    signature: str


# Built once: every tracker page shows the alerts.
_QUEUE_SIZE = sa.select(sa.func.sum(CaseTally.n)).where(
    CaseTally.assignee_key == 0, CaseTally.state.in_([s.value for s in AWAITING_AGENT])
)
_RECENT_SUBJECTS = (
    sa.select(Case.subject)
    .where(Case.created_at >= sa.bindparam("window"), Case.status != CaseStatus.CLOSED)
    .order_by(Case.created_at.desc())
    .limit(RECENT_LIMIT)
)


def alerts(now: datetime) -> list[Alert]:
    """What the support director should know about the queue right now."""
    config = settings.values()
    found = []
    # Unassigned cases awaiting an agent, expired or not, from the kept tallies.
    size = db.session.scalar(_QUEUE_SIZE) or 0
    if size > config["QUEUE_ALERT_SIZE"]:
        found.append(
            Alert(
                f"The support queue holds {size} unassigned cases (more than "
                f"{config['QUEUE_ALERT_SIZE']}). Contact the support director before moving on.",
                f"size:{now:%Y-%m-%d}",
            )
        )
    window = now - timedelta(minutes=config["QUEUE_ALERT_WINDOW_MINUTES"])
    subjects = db.session.scalars(_RECENT_SUBJECTS, {"window": window}).all()
    for cluster in subject_clusters(list(subjects), config["QUEUE_ALERT_SIMILAR"]):
        found.append(
            Alert(
                f"{cluster.size} cases in the last {config['QUEUE_ALERT_WINDOW_MINUTES']} minutes "
                f"look alike (\u201c{cluster.example}\u201d): a problem in the system, or spam?",
                f"cluster:{now:%Y-%m-%d}:{cluster.example.lower()}",
            )
        )
    return found


def _director_addresses() -> list[str]:
    configured = settings.setting("DIRECTOR_EMAIL")
    if configured:
        return [configured]
    return list(
        db.session.scalars(
            sa.select(User.email).where(User.role == Role.ADMIN, User.active).order_by(User.id)
        )
    )


def notify_director(now: datetime) -> int:
    """Mail each new alert to the support director once; commit. Returns mails queued."""
    current = alerts(now)
    setting = db.session.get(Setting, SENT_KEY)
    sent = set(setting.value if setting else [])
    fresh = [alert for alert in current if alert.signature not in sent]
    for alert in fresh:
        for address in _director_addresses():
            outbox.queue_mail(
                to_address=address,
                subject="Support queue alert",
                template="queue_alert",
                alert=alert,
            )
    if fresh:
        today = f"{now:%Y-%m-%d}"
        kept = sorted(s for s in sent | {a.signature for a in fresh} if today in s)
        if setting is None:
            db.session.add(Setting(key=SENT_KEY, value=kept))
        else:
            setting.value = kept
        db.session.commit()
    return len(fresh)
