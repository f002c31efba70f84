"""Whether a customer's orders entitle them to support, and what kind.

Sources: seed 000 (phone support procedures), step III "View order(s)": an order
within the last 30 days, an evaluation or hosting means an active support plan;
long-running evaluations go to Sales; an order more than 30 days old means no
active plan; versions 5.x and older are paid support only. Step I: with no account
to find, the person who purchased must contact us. Seed 003 (general guidelines):
customers with expired maintenance are referred to the Sales & Marketing
Department; customers who pay for priority support are always served.

Only orders that were paid (or whose invoice was settled) count: an order still awaiting
payment, or refunded in full, gives no support, so an unpaid invoice cannot turn a
long-running evaluation ("send to Sales") into an active plan.
"""

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from helpdesk.rules.day_words import day_text


class OrderKind(enum.StrEnum):
    """What an order bought."""

    PURCHASE = "purchase"
    EVALUATION = "evaluation"
    HOSTING = "hosting"
    PRIORITY_SUPPORT = "priority_support"
    MAINTENANCE = "maintenance"


class OrderPayment(enum.StrEnum):
    """Whether an order was paid for, as far as support is concerned."""

    PAID = "paid"  # paid, settled, or free (an evaluation)
    UNPAID = "unpaid"  # awaiting payment, e.g. an open invoice
    REFUNDED = "refunded"  # every cent paid was given back


class SupportLevel(enum.StrEnum):
    """The level of support an agent should give."""

    ACTIVE = "active"
    SEND_TO_SALES = "send_to_sales"
    NO_PLAN = "no_plan"
    UNSUPPORTED = "unsupported"
    NO_ACCOUNT = "no_account"


PAID_PLANS = frozenset({OrderKind.PRIORITY_SUPPORT, OrderKind.MAINTENANCE})

# Best first: the account gets the most generous level any one order earns.
_RANK = {
    SupportLevel.ACTIVE: 0,
    SupportLevel.SEND_TO_SALES: 1,
    SupportLevel.NO_PLAN: 2,
    SupportLevel.UNSUPPORTED: 3,
    SupportLevel.NO_ACCOUNT: 4,
}

_VERSION = re.compile(r"v?(\d+)(?:\.\d+)*(?:\.?x)?", re.IGNORECASE)


@dataclass(frozen=True)
class OrderFacts:
    """The parts of an order that decide eligibility."""

    kind: OrderKind
    version: str  # e.g. "9.2", "5.1", "7"
    ordered_at: date
    expires_at: date | None = None
    order_ref: str = ""
    payment: OrderPayment = OrderPayment.PAID


@dataclass(frozen=True)
class EligibilitySettings:
    """Day counts and version cut-off for eligibility."""

    new_purchase_days: int = 30
    evaluation_max_days: int = 90
    unsupported_max_major: int = 5
    paid_plan_days: int = 365  # term of a paid plan order with no expires_at


@dataclass(frozen=True)
class Eligibility:
    """A support level and the sentence that explains it to an agent."""

    level: SupportLevel
    reason: str
    order_ref: str = ""


DEFAULT_SETTINGS = EligibilitySettings()


def major_version(version: str) -> int | None:
    """Return the major number of a version string ("5.x" -> 5), or None if unreadable."""
    match = _VERSION.fullmatch(version.strip())
    return int(match.group(1)) if match else None


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _paid_plan(order: OrderFacts, today: date, settings: EligibilitySettings) -> Eligibility:
    label = "Priority support" if order.kind == OrderKind.PRIORITY_SUPPORT else "Maintenance"
    ends = order.expires_at or order.ordered_at + timedelta(days=settings.paid_plan_days)
    if today <= ends:
        return Eligibility(
            SupportLevel.ACTIVE, f"{label} active until {day_text(ends)}", order.order_ref
        )
    return Eligibility(
        SupportLevel.NO_PLAN,
        f"{label} expired on {day_text(ends)}: refer to Sales & Marketing",
        order.order_ref,
    )


def _unpaid(order: OrderFacts, today: date, settings: EligibilitySettings) -> Eligibility:
    age = (today - order.ordered_at).days
    ref = order.order_ref
    if order.kind == OrderKind.HOSTING:
        return Eligibility(SupportLevel.ACTIVE, "Hosting customer", ref)
    if order.kind == OrderKind.EVALUATION:
        limit = settings.evaluation_max_days
        if age > limit:
            return Eligibility(
                SupportLevel.SEND_TO_SALES,
                f"Evaluating for {_days(age)} (more than {limit}): send to Sales",
                ref,
            )
        return Eligibility(SupportLevel.ACTIVE, f"Evaluating for {_days(age)}", ref)
    limit = settings.new_purchase_days
    if age <= limit:
        return Eligibility(
            SupportLevel.ACTIVE, f"Ordered {_days(age)} ago (within {limit} days)", ref
        )
    return Eligibility(
        SupportLevel.NO_PLAN, f"Ordered {_days(age)} ago (more than {limit} days)", ref
    )


def _not_paid(order: OrderFacts) -> Eligibility:
    name = f"Order {order.order_ref}" if order.order_ref else "The order"
    if order.payment == OrderPayment.REFUNDED:
        reason = f"{name} was refunded in full: it gives no support"
    else:
        reason = f"{name} is not paid yet: it gives support once paid"
    return Eligibility(SupportLevel.NO_PLAN, reason, order.order_ref)


def order_eligibility(
    order: OrderFacts, today: date, settings: EligibilitySettings = DEFAULT_SETTINGS
) -> Eligibility:
    """Return the support level a single order earns on `today`."""
    if order.payment != OrderPayment.PAID:
        return _not_paid(order)
    if order.kind in PAID_PLANS:
        result = _paid_plan(order, today, settings)
        if result.level == SupportLevel.ACTIVE:
            # Paying for support is exactly how old versions get served.
            return result
    else:
        result = _unpaid(order, today, settings)

    major = major_version(order.version)
    cutoff = settings.unsupported_max_major
    if major is not None and major <= cutoff:
        return Eligibility(
            SupportLevel.UNSUPPORTED,
            f"Version {cutoff}.x or older: paid support only",
            order.order_ref,
        )
    return result


def account_eligibility(
    orders: Iterable[OrderFacts], today: date, settings: EligibilitySettings = DEFAULT_SETTINGS
) -> Eligibility:
    """Return the best support level over all of an account's orders.

    Unpaid and refunded orders are left out while any paid one exists (an unpaid order must
    not outrank, say, an old version's "paid support only"); with none paid, the most recent
    of them explains why there is no plan."""
    orders = list(orders)
    paid = [order for order in orders if order.payment == OrderPayment.PAID]
    judged = [(order, order_eligibility(order, today, settings)) for order in paid or orders]
    if not judged:
        return Eligibility(
            SupportLevel.NO_ACCOUNT,
            "No orders found: have the person who purchased contact us for support",
        )
    # Among equally good orders, the most recent one explains the result best.
    _, best = min(judged, key=lambda pair: (_RANK[pair[1].level], -pair[0].ordered_at.toordinal()))
    return best
