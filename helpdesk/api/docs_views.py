"""The OpenAPI document, and a page that reads it out for people."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, json, render_template

from helpdesk.api import spec
from helpdesk.api.blueprint import bp
from helpdesk.rules.api_tokens import SCOPES


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document, written from the models every operation validates with."""
    return Response(json.dumps(spec.document()), content_type="application/json")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool
    description: str


def _kind(schema: dict) -> str:
    """A JSON schema in a few words: `string`, `integer or null`, `list of Tag`."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_kind(part) for part in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(f"{value}" for value in schema["enum"])
    if "const" in schema:
        return f"{schema['const']}"
    if schema.get("type") == "array":
        return "list of " + _kind(schema.get("items", {}))
    kind = schema.get("type", "any")
    if schema.get("format"):
        kind += f" ({schema['format']})"
    return kind


def fields_of(document: dict, ref: dict | None) -> list[Field]:
    """The properties of the component schema `ref` points to."""
    if not ref or "$ref" not in ref:
        return []
    schema = document["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]
    required = set(schema.get("required", ()))
    return [
        Field(name, _kind(prop), name in required, prop.get("description", ""))
        for name, prop in schema.get("properties", {}).items()
    ]


@bp.get("/docs")
def docs_page() -> str:
    """The API's reference, for people: authentication, operations, errors."""
    document = spec.document()
    return render_template(
        "api/docs.html",
        document=document,
        scopes=SCOPES,
        fields_of=lambda ref: fields_of(document, ref),
        kind_of=_kind,
    )
