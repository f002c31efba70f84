from datetime import date, timedelta

import pytest

from helpdesk.rules.eligibility import (
    Eligibility,
    EligibilitySettings,
    OrderFacts,
    OrderKind,
    OrderPayment,
    SupportLevel,
    account_eligibility,
    major_version,
    order_eligibility,
)

TODAY = date(2024, 6, 15)


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def order(
    kind: OrderKind,
    days_ago: int,
    version: str = "9.2",
    expires_at: date | None = None,
    ref: str = "",
) -> OrderFacts:
    return OrderFacts(kind, version, ago(days_ago), expires_at, ref)


@pytest.mark.parametrize(
    ("facts", "level", "reason"),
    [
        pytest.param(
            order(OrderKind.PURCHASE, 12),
            SupportLevel.ACTIVE,
            "Ordered 12 days ago (within 30 days)",
            id="recent purchase",
        ),
        pytest.param(
            order(OrderKind.PURCHASE, 30),
            SupportLevel.ACTIVE,
            "Ordered 30 days ago (within 30 days)",
            id="purchase exactly 30 days",
        ),
        pytest.param(
            order(OrderKind.PURCHASE, 31),
            SupportLevel.NO_PLAN,
            "Ordered 31 days ago (more than 30 days)",
            id="purchase 31 days",
        ),
        pytest.param(
            order(OrderKind.PURCHASE, 1),
            SupportLevel.ACTIVE,
            "Ordered 1 day ago (within 30 days)",
            id="purchase yesterday",
        ),
        pytest.param(
            order(OrderKind.EVALUATION, 3),
            SupportLevel.ACTIVE,
            "Evaluating for 3 days",
            id="new evaluation",
        ),
        pytest.param(
            order(OrderKind.EVALUATION, 90),
            SupportLevel.ACTIVE,
            "Evaluating for 90 days",
            id="evaluation exactly 90 days",
        ),
        pytest.param(
            order(OrderKind.EVALUATION, 122),
            SupportLevel.SEND_TO_SALES,
            "Evaluating for 122 days (more than 90): send to Sales",
            id="evaluation 4 months",
        ),
        pytest.param(
            order(OrderKind.HOSTING, 800),
            SupportLevel.ACTIVE,
            "Hosting customer",
            id="hosting",
        ),
        pytest.param(
            order(OrderKind.PRIORITY_SUPPORT, 200, expires_at=ago(-10)),
            SupportLevel.ACTIVE,
            "Priority support active until 25 Jun 2024",
            id="priority support active",
        ),
        pytest.param(
            order(OrderKind.MAINTENANCE, 400, expires_at=TODAY),
            SupportLevel.ACTIVE,
            "Maintenance active until 15 Jun 2024",
            id="maintenance expiring today",
        ),
        pytest.param(
            order(OrderKind.MAINTENANCE, 400, expires_at=ago(1)),
            SupportLevel.NO_PLAN,
            "Maintenance expired on 14 Jun 2024: refer to Sales & Marketing",
            id="expired maintenance",
        ),
        pytest.param(
            order(OrderKind.PRIORITY_SUPPORT, 365),
            SupportLevel.ACTIVE,
            "Priority support active until 15 Jun 2024",
            id="paid plan without expiry, last day of term",
        ),
        pytest.param(
            order(OrderKind.PRIORITY_SUPPORT, 366),
            SupportLevel.NO_PLAN,
            "Priority support expired on 14 Jun 2024: refer to Sales & Marketing",
            id="paid plan without expiry, term over",
        ),
        pytest.param(
            order(OrderKind.PURCHASE, 5, version="5.1"),
            SupportLevel.UNSUPPORTED,
            "Version 5.x or older: paid support only",
            id="version 5.x purchase within 30 days",
        ),
        pytest.param(
            order(OrderKind.EVALUATION, 5, version="4"),
            SupportLevel.UNSUPPORTED,
            "Version 5.x or older: paid support only",
            id="old version evaluation",
        ),
        pytest.param(
            order(OrderKind.HOSTING, 5, version="5.x"),
            SupportLevel.UNSUPPORTED,
            "Version 5.x or older: paid support only",
            id="old version hosting",
        ),
        pytest.param(
            order(OrderKind.MAINTENANCE, 400, version="5.1", expires_at=ago(1)),
            SupportLevel.UNSUPPORTED,
            "Version 5.x or older: paid support only",
            id="old version with expired maintenance",
        ),
        pytest.param(
            order(OrderKind.PRIORITY_SUPPORT, 10, version="5"),
            SupportLevel.ACTIVE,
            "Priority support active until 5 Jun 2025",
            id="version 5 with active priority support",
        ),
        pytest.param(
            order(OrderKind.PURCHASE, 5, version="6.0"),
            SupportLevel.ACTIVE,
            "Ordered 5 days ago (within 30 days)",
            id="version 6 is supported",
        ),
        pytest.param(
            order(OrderKind.PURCHASE, 5, version="unknown"),
            SupportLevel.ACTIVE,
            "Ordered 5 days ago (within 30 days)",
            id="unreadable version is not held against the customer",
        ),
    ],
)
def test_order_eligibility(facts: OrderFacts, level: SupportLevel, reason: str) -> None:
    assert order_eligibility(facts, TODAY) == Eligibility(level, reason)


def test_order_ref_is_carried() -> None:
    result = order_eligibility(order(OrderKind.PURCHASE, 3, ref="AC-1001"), TODAY)
    assert result.order_ref == "AC-1001"


@pytest.mark.parametrize(
    ("facts", "level"),
    [
        (order(OrderKind.PURCHASE, 50), SupportLevel.ACTIVE),
        (order(OrderKind.PURCHASE, 61), SupportLevel.NO_PLAN),
        (order(OrderKind.EVALUATION, 15), SupportLevel.SEND_TO_SALES),
        (order(OrderKind.PRIORITY_SUPPORT, 31), SupportLevel.NO_PLAN),
        (order(OrderKind.PURCHASE, 5, version="6.3"), SupportLevel.UNSUPPORTED),
    ],
)
def test_custom_settings(facts: OrderFacts, level: SupportLevel) -> None:
    settings = EligibilitySettings(
        new_purchase_days=60, evaluation_max_days=14, unsupported_max_major=6, paid_plan_days=30
    )
    assert order_eligibility(facts, TODAY, settings).level == level


@pytest.mark.parametrize(
    ("version", "major"),
    [
        ("5.x", 5),
        ("5x", 5),
        ("9.2.1", 9),
        ("9.2", 9),
        ("7", 7),
        ("v7", 7),
        ("V7.0", 7),
        (" 10.1 ", 10),
        ("", None),
        ("   ", None),
        ("latest", None),
        ("x.5", None),
        ("7a", None),
        ("5..1", None),
        ("-5", None),
    ],
)
def test_major_version(version: str, major: int | None) -> None:
    assert major_version(version) == major


def test_no_orders_means_no_account() -> None:
    result = account_eligibility([], TODAY)
    assert result.level == SupportLevel.NO_ACCOUNT
    assert "person who purchased" in result.reason


@pytest.mark.parametrize(
    ("orders", "level", "ref"),
    [
        pytest.param(
            [order(OrderKind.PURCHASE, 400, ref="old"), order(OrderKind.PURCHASE, 3, ref="new")],
            SupportLevel.ACTIVE,
            "new",
            id="a recent purchase wins over an old one",
        ),
        pytest.param(
            [
                order(OrderKind.PURCHASE, 400, ref="old"),
                order(OrderKind.EVALUATION, 200, ref="eval"),
            ],
            SupportLevel.SEND_TO_SALES,
            "eval",
            id="send to sales beats no plan",
        ),
        pytest.param(
            [
                order(OrderKind.PURCHASE, 3, version="5.0", ref="v5"),
                order(OrderKind.PURCHASE, 400, ref="v9"),
            ],
            SupportLevel.NO_PLAN,
            "v9",
            id="no plan beats unsupported",
        ),
        pytest.param(
            [
                order(OrderKind.PURCHASE, 3, version="5.0", ref="v5"),
                order(OrderKind.PRIORITY_SUPPORT, 100, version="5.0", ref="ps"),
            ],
            SupportLevel.ACTIVE,
            "ps",
            id="active paid plan makes an old-version account active",
        ),
        pytest.param(
            [
                order(OrderKind.PURCHASE, 3, version="5.0", ref="v5"),
                order(OrderKind.PRIORITY_SUPPORT, 500, version="5.0", ref="ps"),
            ],
            SupportLevel.UNSUPPORTED,
            "v5",
            id="expired paid plan does not rescue an old version",
        ),
        pytest.param(
            [
                order(OrderKind.PURCHASE, 20, ref="older"),
                order(OrderKind.PURCHASE, 2, ref="newest"),
                order(OrderKind.HOSTING, 10, ref="hosting"),
            ],
            SupportLevel.ACTIVE,
            "newest",
            id="ties explained by the most recent order",
        ),
    ],
)
def test_account_best_of(orders: list[OrderFacts], level: SupportLevel, ref: str) -> None:
    result = account_eligibility(orders, TODAY)
    assert (result.level, result.order_ref) == (level, ref)


def test_account_accepts_any_iterable() -> None:
    orders = (o for o in [order(OrderKind.PURCHASE, 400), order(OrderKind.HOSTING, 400)])
    assert account_eligibility(orders, TODAY).reason == "Hosting customer"


def unpaid(kind: OrderKind, days_ago: int, ref: str) -> OrderFacts:
    return OrderFacts(kind, "9.2", ago(days_ago), None, ref, OrderPayment.UNPAID)


def refunded(kind: OrderKind, days_ago: int, ref: str) -> OrderFacts:
    return OrderFacts(kind, "9.2", ago(days_ago), None, ref, OrderPayment.REFUNDED)


@pytest.mark.parametrize(
    ("orders", "level", "reason"),
    [
        pytest.param(
            [order(OrderKind.PURCHASE, 30, ref="O1")],
            SupportLevel.ACTIVE,
            "Ordered 30 days ago (within 30 days)",
            id="paid purchase exactly 30 days old",
        ),
        pytest.param(
            [unpaid(OrderKind.PURCHASE, 0, "O2")],
            SupportLevel.NO_PLAN,
            "Order O2 is not paid yet: it gives support once paid",
            id="unpaid purchase of today",
        ),
        pytest.param(
            [refunded(OrderKind.PURCHASE, 3, "O3")],
            SupportLevel.NO_PLAN,
            "Order O3 was refunded in full: it gives no support",
            id="purchase refunded in full",
        ),
        pytest.param(
            [unpaid(OrderKind.PRIORITY_SUPPORT, 1, "O4")],
            SupportLevel.NO_PLAN,
            "Order O4 is not paid yet: it gives support once paid",
            id="an invoiced priority plan not yet paid",
        ),
        pytest.param(
            [order(OrderKind.EVALUATION, 90, ref="E1")],
            SupportLevel.ACTIVE,
            "Evaluating for 90 days",
            id="evaluation of exactly 90 days",
        ),
        pytest.param(
            [order(OrderKind.EVALUATION, 91, ref="E1")],
            SupportLevel.SEND_TO_SALES,
            "Evaluating for 91 days (more than 90): send to Sales",
            id="evaluation of 91 days",
        ),
        pytest.param(
            [order(OrderKind.EVALUATION, 120, ref="E1"), unpaid(OrderKind.PURCHASE, 2, "O5")],
            SupportLevel.SEND_TO_SALES,
            "Evaluating for 120 days (more than 90): send to Sales",
            id="an unpaid invoice does not make a long evaluator active",
        ),
        pytest.param(
            [order(OrderKind.EVALUATION, 120, ref="E1"), refunded(OrderKind.PURCHASE, 2, "O6")],
            SupportLevel.SEND_TO_SALES,
            "Evaluating for 120 days (more than 90): send to Sales",
            id="a refunded purchase does not make a long evaluator active",
        ),
        pytest.param(
            [
                order(OrderKind.PURCHASE, 3, version="5.0", ref="v5"),
                unpaid(OrderKind.PURCHASE, 1, "O7"),
            ],
            SupportLevel.UNSUPPORTED,
            "Version 5.x or older: paid support only",
            id="an unpaid upgrade does not outrank the old version it would replace",
        ),
        pytest.param(
            [unpaid(OrderKind.PURCHASE, 9, "O8"), refunded(OrderKind.HOSTING, 2, "O9")],
            SupportLevel.NO_PLAN,
            "Order O9 was refunded in full: it gives no support",
            id="nothing paid: the most recent order explains",
        ),
    ],
)
def test_only_paid_orders_give_support(
    orders: list[OrderFacts], level: SupportLevel, reason: str
) -> None:
    result = account_eligibility(orders, TODAY)
    assert (result.level, result.reason) == (level, reason)
