"""Cases through the API: the same services, guards and role rules as the case pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

from helpdesk.api import case_output
from helpdesk.api.blueprint import bp
from helpdesk.api.problems import Problem, refused
from helpdesk.api.schemas import cases as schemas
from helpdesk.api.schemas.common import decode_cursor, encode_cursor
from helpdesk.api.spec import Download, Reply, operation
from helpdesk.extensions import db
from helpdesk.models import Case, MessageKind, User, utcnow
from helpdesk.rules.billing_access import may_on_case
from helpdesk.rules.folders import Folder
from helpdesk.rules.phone_procedure import Issue
from helpdesk.rules.send_status import AfterSend
from helpdesk.services import ServiceError
from helpdesk.services.api import idempotency
from helpdesk.services.cases import attachments, cases, tags
from helpdesk.services.cases.attachments import Upload
from helpdesk.services.tracker import case_filters, folders, phone, priority, search, tracker
from helpdesk.tracker.common import folder_settings
from helpdesk.web.access import can_see_case, get_attachment_or_404
from helpdesk.web.files import send_attachment

TAG = "Cases"
CREATE = "case.create"

# Service field names that differ from the API's.
FIELD_NAMES = {
    "title": "subject",
    "synopsis": "body",
    "correspondent_email": "requester_email",
    "factors": "priority_factors",
    "case_reason_id": "reason_id",
    "organisation_id": "organisation_id",
}


def _user() -> User:
    return g.api.user


def _case(number: int, action: str = "view") -> Case:
    """The case if the token's owner may see it (404 otherwise) and take `action` (403)."""
    user = _user()
    case = db.session.scalar(sa.select(Case).where(Case.number == number))
    if case is None or not can_see_case(case, user):
        raise Problem(404, f"There is no case #{number} this token can see.")
    if not may_on_case(user.role.value, action):
        raise Problem(403, f"A {user.role.value} account cannot {action} on cases.")
    if action != "view" and case.merged_into_id is not None:
        raise Problem(409, f"Case #{number} was merged into another case: change that one.")
    return case


def _filters(query: schemas.CaseListQuery) -> dict[str, str]:
    found = {}
    for name in case_filters.FILTERS:
        value = getattr(query, name, None)
        if value is not None:
            found[name] = str(value.value if hasattr(value, "value") else value)
    return found


@operation(
    bp,
    "GET",
    "/cases",
    summary="List cases",
    tag=TAG,
    scope="cases:read",
    query=schemas.CaseListQuery,
    response=schemas.CasePage,
)
def list_cases(query: schemas.CaseListQuery) -> schemas.CasePage:
    """A folder's cases with the folder filters, newest first, a page at a time."""
    folder = Folder(query.folder) if query.folder != folders.ALL else folders.ALL
    scope = folders.scope_for(_user(), query.everyone)
    conditions = [
        folders.folder_condition(folder, utcnow(), folder_settings()),
        folders.scope_condition(folder, scope),
        *case_filters.conditions(_filters(query)),
    ]
    if query.updated_since is not None:
        conditions.append(Case.updated_at >= query.updated_since)
    after = decode_cursor(query.cursor)
    if after is not None:
        conditions.append(Case.id < after)
    ids = db.session.scalars(
        sa.select(Case.id).where(*conditions).order_by(Case.id.desc()).limit(query.limit + 1)
    ).all()
    more = len(ids) > query.limit
    ids = ids[: query.limit]
    return schemas.CasePage(
        items=case_output.summaries(_cases_in_order(ids)),
        next_cursor=encode_cursor(ids[-1]) if more else None,
    )


def _cases_in_order(ids: list[int]) -> list[Case]:
    if not ids:
        return []
    found = {
        case.id: case
        for case in db.session.scalars(
            sa.select(Case)
            .options(sa.orm.selectinload(Case.organisation), sa.orm.selectinload(Case.assignee))
            .where(Case.id.in_(ids))
        )
    }
    return [found[case_id] for case_id in ids if case_id in found]


@operation(
    bp,
    "GET",
    "/cases/search",
    summary="Search cases",
    tag=TAG,
    scope="cases:read",
    query=schemas.CaseSearchQuery,
    response=schemas.CasePage,
)
def search_cases(query: schemas.CaseSearchQuery) -> schemas.CasePage:
    """Cases matching every word (number, subject, thread, people), best first."""
    offset = decode_cursor(query.cursor) or 0
    tag_id = tags.tag_id(query.tag) if query.tag else None
    if query.tag and tag_id is None:
        return schemas.CasePage(items=[], next_cursor=None)
    page = search.search_cases(query.q, limit=query.limit, offset=offset, tag_id=tag_id)
    found = _cases_in_order([hit.case_id for hit in page.hits])
    following = offset + len(page.hits)
    more = page.has_next and following < search.MAX_OFFSET
    return schemas.CasePage(
        items=case_output.summaries(found), next_cursor=encode_cursor(following) if more else None
    )


@operation(
    bp,
    "GET",
    "/cases/<int:number>",
    summary="Get a case with its thread",
    tag=TAG,
    scope="cases:read",
    response=schemas.CaseDetail,
)
def get_case(number: int) -> schemas.CaseDetail:
    """The case, its replies and private notes, and its files."""
    return case_output.detail(_case(number))


def _intake(body: schemas.CaseCreate) -> phone.Intake:
    return phone.Intake(
        organisation_id=body.organisation_id,
        title=body.subject,
        synopsis=body.body,
        issue=Issue(body.category.value),
        callback_phone=body.callback_phone or "",
        correspondent_email=body.requester_email or "",
        assignee_id=body.assignee_id,
        product_version=body.product_version or "",
        operating_system=body.operating_system or "",
        origin=body.origin,
        received_at=body.received_at,
        factors=tuple(body.priority_factors),
        override_reason=body.override_reason,
    )


def _replayed(case_id: int) -> Reply:
    case = db.session.get(Case, case_id)
    if case is None:
        raise Problem(409, "The case made with this Idempotency-Key no longer exists.")
    return Reply(case_output.detail(case), 200)


@operation(
    bp,
    "POST",
    "/cases",
    summary="Open a case",
    tag=TAG,
    scope="cases:write",
    body=schemas.CaseCreate,
    response=schemas.CaseDetail,
    status=201,
    idempotency=True,
)
def create_case(body: schemas.CaseCreate, idempotency_key: str | None) -> Reply:
    """Open a case for an organisation, as an agent opens one by hand: numbered, triaged and
    routed. Send an `Idempotency-Key` to retry safely."""
    user = _user()
    if not may_on_case(user.role.value, "reply"):
        raise Problem(403, f"A {user.role.value} account cannot open cases.")
    fingerprint = idempotency.fingerprint(request.get_data(cache=True))
    if idempotency_key:
        try:
            first = idempotency.earlier(user.id, idempotency_key, CREATE, fingerprint)
        except idempotency.KeyReused:
            raise Problem(409, "This Idempotency-Key was used for another request.") from None
        if first is not None:
            return _replayed(first)

    def keep_key(case: Case) -> None:
        if idempotency_key:
            idempotency.remember(user.id, idempotency_key, CREATE, fingerprint, case.id)

    try:
        case = phone.open_phone_case(user, _intake(body), also=keep_key)
    except ServiceError as error:
        raise refused(error, FIELD_NAMES) from None
    except IntegrityError:
        # Another request with the same key committed first: answer with its case.
        db.session.rollback()
        first = idempotency.earlier(user.id, idempotency_key or "", CREATE, fingerprint)
        if first is None:
            raise
        return _replayed(first)
    if body.tags:
        try:
            tags.replace(user, case, body.tags)
        except ServiceError as error:
            raise refused(error, FIELD_NAMES) from None
    return Reply(
        case_output.detail(case),
        201,
        {"Location": f"/api/v1/cases/{case.number}"},
    )


def _check_update(user: User, body: schemas.CaseUpdate) -> None:
    wanted = body.model_fields_set
    needs = {
        "assign": "assignee_id" in wanted,
        "classify": bool({"case_type_id", "reason_id", "tags"} & wanted),
        "priority": "priority_factors" in wanted and body.priority_factors is not None,
        "close": body.status == "closed",
    }
    for action, needed in needs.items():
        if needed and not may_on_case(user.role.value, action):
            raise Problem(403, f"A {user.role.value} account cannot {action} cases.")


@operation(
    bp,
    "PATCH",
    "/cases/<int:number>",
    summary="Change a case",
    tag=TAG,
    scope="cases:write",
    body=schemas.CaseUpdate,
    response=schemas.CaseDetail,
    errors=(409,),
)
def update_case(number: int, body: schemas.CaseUpdate) -> schemas.CaseDetail:
    """Change the fields sent, in the order listed (each as on the case page, on its
    timeline). A refused field answers 422; the fields before it stay changed."""
    user = _user()
    case = _case(number)
    _check_update(user, body)
    if case.merged_into_id is not None:
        raise Problem(409, f"Case #{number} was merged into another case: change that one.")
    wanted = body.model_fields_set
    try:
        if "assignee_id" in wanted:
            tracker.assign(user, case, body.assignee_id, override_reason=body.override_reason)
        if {"case_type_id", "reason_id"} & wanted:
            type_id = body.case_type_id if "case_type_id" in wanted else case.case_type_id
            reason_id = body.reason_id if "reason_id" in wanted else case.case_reason_id
            tracker.classify(user, case, type_id, reason_id)
        if body.priority_factors is not None:
            priority.set_factors(user, case, body.priority_factors)
        if body.tags is not None:
            tags.replace(user, case, body.tags)
        if body.status == "closed":
            cases.close_case(actor=user, case=case)
    except ServiceError as error:
        db.session.rollback()
        raise refused(error, FIELD_NAMES) from None
    db.session.refresh(case)
    return case_output.detail(case)


def _uploads(items: list[schemas.NewAttachment]) -> list[Upload]:
    return [Upload(item.name, item.content()) for item in items]


def _message(number: int, kind: MessageKind, body, then) -> Reply:
    user = _user()
    case = _case(number, "reply" if kind == MessageKind.REPLY else "note")
    try:
        message = tracker.agent_message(
            agent=user,
            case=case,
            body=body.body,
            kind=kind,
            uploads=_uploads(body.attachments),
            policy=attachments.current_policy(),
            then=then,
        )
    except ServiceError as error:
        raise refused(error, FIELD_NAMES) from None
    db.session.refresh(case)
    files = case_output.message_files(message)
    return Reply(
        schemas.MessageCreated(
            message=case_output.message(case, message, files),
            case=case_output.summaries([case])[0],
        ),
        201,
    )


@operation(
    bp,
    "POST",
    "/cases/<int:number>/replies",
    summary="Reply to the customer",
    tag=TAG,
    scope="cases:write",
    body=schemas.ReplyCreate,
    response=schemas.MessageCreated,
    status=201,
    errors=(409,),
)
def create_reply(number: int, body: schemas.ReplyCreate) -> Reply:
    """A public reply: mailed to the customer, on the thread; the case becomes answered
    unless `then` says otherwise."""
    return _message(number, MessageKind.REPLY, body, body.after_send())


@operation(
    bp,
    "POST",
    "/cases/<int:number>/notes",
    summary="Add a private note",
    tag=TAG,
    scope="cases:write",
    body=schemas.NoteCreate,
    response=schemas.MessageCreated,
    status=201,
    errors=(409,),
)
def create_note(number: int, body: schemas.NoteCreate) -> Reply:
    """A note only staff see; mentioned colleagues (@name) are told."""
    return _message(number, MessageKind.NOTE, body, AfterSend.USUAL)


@operation(
    bp,
    "GET",
    "/cases/<int:number>/attachments/<int:attachment_id>",
    summary="Download a file of a case",
    tag=TAG,
    scope="cases:read",
    binary=True,
)
def case_attachment(number: int, attachment_id: int) -> Download:
    """The file's bytes, as a download."""
    case = _case(number)
    try:
        file = get_attachment_or_404(case, attachment_id, _user())
        return Download(send_attachment(file, attachments.current_policy()))
    except NotFound:
        raise Problem(404, "There is no such file on this case.") from None
