"""Uploads are checked by their first bytes as well as by their extension (issue 17)."""

from __future__ import annotations

import io
import zipfile

import pytest

from helpdesk.rules.uploads import content_problem, upload_problem


def _zip(*members: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in members:
            archive.writestr(member, "<x/>")
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"
GIF = b"GIF89a\x01\x00\x01\x00"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
HTML = b"<!doctype html><html><script>alert(1)</script></html>"
ZIP = _zip("notes.txt")
DOCX = _zip("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX = _zip("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")


@pytest.mark.parametrize(
    "name, head, refused_because",
    [
        ("shot.png", PNG, None),
        ("photo.jpg", JPEG, None),
        ("photo.JPEG", JPEG, None),
        ("anim.gif", GIF, None),
        ("invoice.pdf", PDF, None),
        ("logs.zip", ZIP, None),
        ("logs.zip", DOCX, None),  # an Office file is a ZIP archive
        ("letter.docx", DOCX, None),
        ("letter.docx", ZIP, None),  # written by a tool that orders the parts differently
        ("sheet.xlsx", XLSX, None),
        ("notes.txt", "Grüße, café\n".encode(), None),
        ("notes.txt", "Grüße, café\n".encode("latin-1"), None),
        ("export.csv", b"id,name\n1,Anna\n", None),
        ("server.log", b"", None),
        ("data.json", b'{"a": 1}', None),
        ("shot.png", ZIP, "the content is not a .png file (it looks like a .zip file)"),
        ("shot.png", EXE, "the content is not a .png file (it looks like a .exe file)"),
        ("photo.jpg", PNG, "not a .jpg file (it looks like a .png file)"),
        ("invoice.pdf", HTML, "the content is not a .pdf file (its type is unknown)"),
        ("logs.zip", EXE, "not a .zip file"),
        ("letter.docx", PDF, "not a .docx file"),
        ("notes.txt", EXE, "the content is not plain text"),
        ("export.csv", ZIP, "the content is not plain text"),
        ("data.json", b"\x00\x01\x02", "the content is not plain text"),
    ],
)
def test_content_problem(name, head, refused_because):
    problem = content_problem(name, head)
    if refused_because is None:
        assert problem is None
    else:
        assert problem is not None and refused_because in problem and name in problem


def test_upload_problem_checks_the_content_when_given_the_first_bytes():
    assert upload_problem("shot.png", len(ZIP), 1024, head=PNG) is None
    assert "not a .png file" in upload_problem("shot.png", len(ZIP), 1024, head=ZIP)
    # The extension is judged first: a refused type says so, whatever its bytes.
    assert "not accepted" in upload_problem("page.html", len(HTML), 1024, head=HTML)


def test_a_type_with_no_known_signature_is_judged_by_its_extension_only():
    assert content_problem("notes.md", b"# Notes\n") is None
