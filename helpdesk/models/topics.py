"""What customers may say a new case is about beyond the standard categories (seed 001).

Seed 001 delegates by case type ("all finance related cases should be assigned to ..."), but
the type is normally set by an agent. A topic lets the customer pick it on arrival: "Billing
or payment" gives the case the type Billing (and counts as one of the standard categories
for everything else), so the routing rules for that type take it at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.base import enum_type
from helpdesk.models.cases import Category


class CustomerTopic(db.Model):
    """A choice on the customer's new-case form that sets the case type (and category)."""

    __tablename__ = "customer_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(80), unique=True)
    case_type_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_types.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[Category] = mapped_column(
        enum_type(Category, "topic_category"), default=Category.OTHER
    )
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    case_type = relationship("CaseType")
