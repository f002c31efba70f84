"""The API's operations, each declared once with the Pydantic models it takes and returns.

`operation` registers the Flask route and records the operation; the same models validate the
request and write the OpenAPI 3.1 document (`document()`), so the document and the code cannot
drift. A view receives validated models and returns a model (or a `Reply`); errors are raised
as `Problem`s and leave as `application/problem+json`.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, json, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from helpdesk.api.problems import CONTENT_TYPE, Problem
from helpdesk.api.schemas.common import ProblemDocument
from helpdesk.rules.numbers import LARGEST_ID

JSON = "application/json"
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_PATTERN = r"^[A-Za-z0-9._:-]{1,200}$"

ERROR_DESCRIPTIONS = {
    400: "The request could not be read (e.g. a NUL character, or a body that is not JSON).",
    401: "No token, or one that is expired, revoked or unknown.",
    403: "The token lacks the scope, or its owner may not do this.",
    404: "No such object, or the token's owner may not see it.",
    409: "In conflict with what exists (e.g. an idempotency key reused for another request).",
    415: "The body is not application/json.",
    422: "The request was read but refused; `errors` names each field.",
    429: "Too many requests from this token; `Retry-After` says when to retry.",
}


@dataclass(frozen=True)
class Reply:
    """What a view returns when the status or headers are not the operation's usual ones."""

    body: BaseModel | None
    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Download:
    """A file answered as it is (an attachment), not JSON."""

    response: Response


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    description: str
    tag: str
    scope: str | None
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    idempotency: bool
    binary: bool

    @property
    def path(self) -> str:
        """The OpenAPI form of the rule: `/cases/<int:number>` -> `/cases/{number}`."""
        return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", self.rule)

    @property
    def path_parameters(self) -> list[tuple[str, str]]:
        return re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", self.rule)


OPERATIONS: list[Operation] = []


def operation(
    blueprint: Blueprint,
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    scope: str | None,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: Iterable[int] = (),
    idempotency: bool = False,
    binary: bool = False,
) -> Callable:
    """Register `view` at `rule` for `method`, validating its query and body with the models.

    The view gets path values, plus `query=` and `body=` (validated models) when declared, plus
    `idempotency_key=` when `idempotency`. `scope` is checked before anything else runs.
    """

    def decorator(view: Callable) -> Callable:
        found = set(errors) | {400, 401, 403, 429}
        if query is not None or body is not None:
            found.add(422)
        if body is not None:
            found |= {400, 415}
        if "<" in rule:
            found.add(404)
        if idempotency:
            found.add(409)
        op = Operation(
            method=method.upper(),
            rule=rule,
            endpoint=view.__name__,
            summary=summary,
            description=(view.__doc__ or "").strip(),
            tag=tag,
            scope=scope,
            query=query,
            body=body,
            response=response,
            status=status,
            errors=tuple(sorted(found)),
            idempotency=idempotency,
            binary=binary,
        )

        @wraps(view)
        def handle(**path_values: Any) -> Response:
            require_scope(op.scope)
            kwargs: dict[str, Any] = dict(path_values)
            if op.query is not None:
                kwargs["query"] = parse_query(op.query)
            if op.body is not None:
                kwargs["body"] = parse_body(op.body)
            if op.idempotency:
                kwargs["idempotency_key"] = idempotency_key()
            return render(view(**kwargs), op.status)

        blueprint.add_url_rule(rule, view.__name__, handle, methods=[op.method])
        OPERATIONS.append(op)
        return view

    return decorator


def require_scope(scope: str | None) -> None:
    """403 unless the request's token holds `scope` (None: any valid token)."""
    if scope is not None and scope not in g.api.scopes:
        raise Problem(403, f"This token lacks the scope “{scope}”.")


def _field(location: Iterable[Any]) -> str:
    return ".".join(str(part) for part in location) or "body"


def field_errors(error: ValidationError) -> list[dict]:
    """Pydantic's errors as {"field", "message"} pairs, the field as a dotted path."""
    return [
        {"field": _field(item["loc"]), "message": item["msg"]}
        for item in error.errors(include_url=False, include_context=False, include_input=False)
    ]


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return any(_is_list(arg) for arg in typing.get_args(annotation))
    return origin is list


def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string as `model`; 422 naming each refused parameter."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        given = request.args.getlist(name)
        if given:
            values[name] = given if _is_list(info.annotation) else given[-1]
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise Problem(
            422, "Some query parameters are not valid.", errors=field_errors(error)
        ) from None


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The JSON body as `model`: 415 if it is not JSON, 400 if unreadable, 422 if refused."""
    if request.mimetype != JSON:
        raise Problem(415)
    try:
        return model.model_validate_json(request.get_data(cache=True))
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise Problem(400, "The body is not valid JSON.") from None
        raise Problem(422, "Some fields are not valid.", errors=field_errors(error)) from None


def idempotency_key() -> str | None:
    """The request's `Idempotency-Key`, checked; None when not sent."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not re.fullmatch(IDEMPOTENCY_PATTERN, key):
        raise Problem(
            422,
            "An Idempotency-Key is 1 to 200 letters, digits and . _ : -",
            errors=[{"field": IDEMPOTENCY_HEADER, "message": "Not a usable key."}],
        )
    return key


def render(result: Any, status: int) -> Response:
    """A view's result as the response: JSON of a model, a file, or 204."""
    if isinstance(result, Download):
        return result.response
    headers: dict[str, str] = {}
    if isinstance(result, Reply):
        status, headers, result = result.status, result.headers, result.body
    if result is None:
        response = Response(status=204)
    else:
        data = result.model_dump(mode="json", by_alias=True)
        response = Response(json.dumps(data), status=status, content_type=JSON)
    for name, value in headers.items():
        response.headers[name] = value
    return response


# --- the OpenAPI document ----------------------------------------------------------------


def _models() -> list[tuple[type[BaseModel], str]]:
    wanted: dict[tuple[type[BaseModel], str], None] = {(ProblemDocument, "serialization"): None}
    for op in OPERATIONS:
        if op.body is not None:
            wanted[(op.body, "validation")] = None
        if op.response is not None:
            wanted[(op.response, "serialization")] = None
    return list(wanted)


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", "")
        prop.pop("title", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        if prop.get("type") == "array" or any(
            item.get("type") == "array" for item in prop.get("anyOf", ())
        ):
            parameter["style"], parameter["explode"] = "form", True
        parameters.append(parameter)
    return parameters


def _path_parameters(op: Operation) -> list[dict]:
    parameters = []
    for converter, name in op.path_parameters:
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}
            if converter == "int"
            else {"type": "string", "pattern": r"^[a-z0-9-]{1,120}$"}
        )
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}},
    }


def _operation_document(op: Operation, refs: dict) -> dict:
    parameters = _path_parameters(op)
    if op.query is not None:
        parameters += _query_parameters(op.query)
    if op.idempotency:
        parameters.append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "description": "Send the same key to retry safely: the first result is answered "
                "again, nothing is made twice. Keys are kept per token owner.",
                "schema": {"type": "string", "pattern": IDEMPOTENCY_PATTERN},
            }
        )
    document: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag],
        "security": [{"bearerAuth": []}],
        "responses": {},
    }
    description = op.description
    if op.scope:
        description = f"Scope: `{op.scope}`.\n\n{description}".strip()
    document["description"] = description
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {JSON: {"schema": refs[(op.body, "validation")]}},
        }
    if op.binary:
        success = {
            "description": "The file.",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    elif op.response is None:
        success = {"description": "Done; nothing to answer."}
    else:
        success = {
            "description": "Done.",
            "content": {JSON: {"schema": refs[(op.response, "serialization")]}},
        }
    document["responses"][str(op.status)] = success
    if op.idempotency and op.status == 201:
        document["responses"]["200"] = {
            "description": "The same Idempotency-Key again: what the first request made.",
            "content": success.get("content", {}),
        }
    for status in op.errors:
        document["responses"][str(status)] = _problem(ERROR_DESCRIPTIONS[status])
    return document


def document(extra: dict | None = None) -> dict:
    """The OpenAPI 3.1 document of every registered operation."""
    refs, definitions = models_json_schema(_models(), ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        path = "/api/v1" + op.path
        paths.setdefault(path, {})[op.method.lower()] = _operation_document(op, refs)
    spec = {
        "openapi": "3.1.0",
        "info": {
            "title": "Helpdesk API",
            "version": "1",
            "description": "Cases, customers, orders and help articles for other systems.",
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token from your profile page.",
                }
            },
        },
    }
    if extra:
        spec.update(extra)
    return spec
