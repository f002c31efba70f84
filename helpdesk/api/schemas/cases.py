"""Cases through the API: lists, one case with its thread, and what may be sent to change one."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
    field_validator,
)

from helpdesk.api.schemas.common import (
    Cursor,
    Id,
    NamedRef,
    PageSize,
    PersonRef,
    SentTime,
    Strict,
    UtcTime,
)
from helpdesk.models import CaseStatus, Category, MessageKind, Origin
from helpdesk.rules import priority as priority_rules
from helpdesk.rules.folders import Folder
from helpdesk.rules.send_status import AfterSend

FolderName = Literal[
    "all", "queue", "new", "open", "waiting", "answered", "expired_1", "expired_2", "closed"
]
TickableFactor = Literal[tuple(f.code for f in priority_rules.FACTORS if not f.detected)]  # type: ignore[valid-type]
AnyFactor = Literal[tuple(f.code for f in priority_rules.FACTORS)]  # type: ignore[valid-type]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Body = Annotated[str, Field(min_length=1, max_length=20_000)]
TagName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f,]+$")]
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class CaseListQuery(Strict):
    folder: FolderName = Field(
        default="all",
        description="A folder of the tracker. Personal folders (new, open, waiting, "
        "expired_2, answered) show the token owner's cases; queue and all show everyone's.",
    )
    everyone: bool = Field(
        default=False, description="Administrators: personal folders of every agent."
    )
    tag: TagName | None = None
    type: Id | None = Field(default=None, description="A case type's id.")
    tier: Annotated[int, Field(ge=1, le=3)] | None = None
    priority: Annotated[int, Field(ge=-50, le=100)] | None = Field(
        default=None, description="At least this priority score."
    )
    origin: Origin | None = None
    assignee: Id | Literal["none"] | None = Field(
        default=None, description="An agent's id, or `none` for unassigned cases."
    )
    organisation: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description="Part of the organisation's name."
    )
    product: Annotated[str, Field(max_length=120)] | None = None
    flag: Literal["fraud"] | None = Field(
        default=None, description="`fraud`: only cases with a fraud warning."
    )
    updated_since: SentTime | None = Field(
        default=None, description="Only cases changed at or after this time (RFC 3339)."
    )
    limit: PageSize = 25
    cursor: Cursor = None


class CaseSearchQuery(Strict):
    q: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="Words to find (each as a prefix), or a case number."
    )
    tag: TagName | None = None
    limit: PageSize = 25
    cursor: Cursor = None


class Attachment(BaseModel):
    id: int
    name: str
    content_type: str
    size_bytes: int
    url: str = Field(description="Where the API serves the file.")


class ThreadMessage(BaseModel):
    id: int
    kind: MessageKind = Field(description="`reply` (the customer sees it) or `note` (private).")
    author: PersonRef | None
    author_email: str | None = Field(description="Sender of an e-mail with no login.")
    from_customer: bool
    origin: Origin
    body: str = Field(description="As typed.")
    body_html: str = Field(description="Sanitised HTML of the body.")
    unverified_sender: bool
    created_at: UtcTime
    attachments: list[Attachment]


class CaseSummary(BaseModel):
    number: int
    subject: str
    status: CaseStatus
    organisation: NamedRef
    assignee: PersonRef | None
    tier: int
    priority_score: int
    case_type: NamedRef | None
    reason: NamedRef | None
    origin: Origin
    category: Category
    tags: list[str]
    created_at: UtcTime
    updated_at: UtcTime
    closed_at: UtcTime | None
    merged_into: int | None = Field(description="The case number this one was merged into.")
    url: str = Field(description="The case page in the browser.")


class CaseDetail(CaseSummary):
    body: str
    priority_factors: list[str]
    order_id: int | None
    requester: PersonRef | None
    correspondent_email: str | None
    callback_phone: str | None
    product_version: str | None
    operating_system: str | None
    first_response_due_at: UtcTime | None
    next_reply_due_at: UtcTime | None
    resolution_due_at: UtcTime | None
    messages: list[ThreadMessage]
    attachments: list[Attachment] = Field(description="Files sent with the case itself.")


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


class NewAttachment(Strict):
    name: Annotated[str, Field(min_length=1, max_length=255)]
    content_base64: Annotated[str, Field(min_length=1, max_length=14_000_000)] = Field(
        description="The file's bytes in base64 (up to 10 MB once decoded)."
    )

    @field_validator("content_base64")
    @classmethod
    def _decodes(cls, value: str) -> str:
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("Not valid base64.") from None
        if not decoded:
            raise ValueError("The file is empty.")
        if len(decoded) > ATTACHMENT_MAX_BYTES:
            raise ValueError("The file is larger than 10 MB.")
        return value

    def content(self) -> bytes:
        return base64.b64decode(self.content_base64)


class CaseCreate(Strict):
    organisation_id: Id
    subject: Text200
    body: Body = Field(description="What the case is about.")
    origin: Literal["email", "phone", "generated"] = Field(
        default="generated",
        description="How it reached you: `email` needs `requester_email`; `generated` is a "
        "case your system opens itself.",
    )
    category: Category = Category.SUPPORT
    requester_email: Annotated[str, Field(max_length=254)] | None = Field(
        default=None, description="The customer's address: replies are mailed there."
    )
    callback_phone: Annotated[str, Field(max_length=40)] | None = None
    product_version: Annotated[str, Field(max_length=40)] | None = None
    operating_system: Annotated[str, Field(max_length=80)] | None = None
    assignee_id: Id | None = Field(default=None, description="Leave out: the routing rules.")
    override_reason: Annotated[str, Field(min_length=1, max_length=300)] | None = Field(
        default=None,
        description="Why `assignee_id` gets the case although below its tier (an active plan "
        "or a bug report needs tier 2); logged on the timeline and in the audit trail.",
    )
    priority_factors: list[TickableFactor] = Field(default_factory=list, max_length=20)
    received_at: SentTime | None = Field(
        default=None, description="When the message was left or sent; default now."
    )
    tags: list[TagName] = Field(default_factory=list, max_length=20)


class CaseUpdate(Strict):
    """Only the fields sent change; `assignee_id: null` returns the case to the queue."""

    status: Literal["closed"] | None = Field(
        default=None, description="`closed` closes the case (customers can reopen it)."
    )
    assignee_id: Id | None = None
    override_reason: Annotated[str, Field(min_length=1, max_length=300)] | None = Field(
        default=None, description="Why an agent below the case's tier takes it anyway."
    )
    case_type_id: Id | None = None
    reason_id: Id | None = None
    priority_factors: list[AnyFactor] | None = Field(default=None, max_length=20)
    tags: list[TagName] | None = Field(
        default=None, max_length=20, description="The case's tags: the whole list."
    )


class ReplyCreate(Strict):
    body: Body
    then: Literal["answered", "open", "closed"] | None = Field(
        default=None,
        description="The status after sending (default: answered, the customer's turn).",
    )
    attachments: list[NewAttachment] = Field(default_factory=list, max_length=10)

    def after_send(self) -> AfterSend:
        return AfterSend(self.then) if self.then else AfterSend.USUAL


class NoteCreate(Strict):
    body: Body
    attachments: list[NewAttachment] = Field(default_factory=list, max_length=10)


class MessageCreated(BaseModel):
    message: ThreadMessage
    case: CaseSummary


FOLDERS = {name.value: name for name in Folder}
