import pytest

from helpdesk.rules.eligibility import SupportLevel
from helpdesk.rules.tiers import initial_tier
from helpdesk.rules.uploads import content_type_for, display_name, extension, upload_problem


@pytest.mark.parametrize(
    ("category", "level", "tier"),
    [
        ("bug_report", SupportLevel.NO_PLAN, 2),  # bug reports always go to level two
        ("bug_report", SupportLevel.UNSUPPORTED, 2),
        ("support", SupportLevel.ACTIVE, 2),  # eligible request: new customer, evaluation
        ("licence_key", SupportLevel.ACTIVE, 2),
        ("support", SupportLevel.NO_PLAN, 1),  # level one answers with a system e-mail
        ("customisation", SupportLevel.SEND_TO_SALES, 1),
        ("other", SupportLevel.UNSUPPORTED, 1),
        ("support", SupportLevel.NO_ACCOUNT, 1),
    ],
)
def test_initial_tier_follows_seed_000(category, level, tier):
    assert initial_tier(category, level) == tier


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("report 2026.pdf", "report 2026.pdf"),
        ("a\x00b\nc.txt", "a_b_c.txt"),
        ("<script>.txt", "_script_.txt"),
        ("...", "attachment"),
        ("", "attachment"),
        ("x" * 300 + ".txt", "x" * 120),
    ],
)
def test_display_name_neutralises_paths_and_markup(name, shown):
    assert display_name(name) == shown


@pytest.mark.parametrize(
    ("name", "ext"), [("a.PDF", "pdf"), ("archive.tar.gz", "gz"), (".bashrc", ""), ("noext", "")]
)
def test_extension(name, ext):
    assert extension(name) == ext


@pytest.mark.parametrize(
    ("name", "size", "refused_because"),
    [
        ("log.txt", 100, None),
        ("screen.PNG", 5_000, None),
        ("page.html", 100, "not accepted"),
        ("logo.svg", 100, "not accepted"),
        ("setup.exe", 100, "not accepted"),
        ("notes", 100, "not accepted"),
        ("big.pdf", 10 * 1024 * 1024 + 1, "larger than 10 MB"),
        ("exact.pdf", 10 * 1024 * 1024, None),
        ("empty.txt", 0, "empty"),
    ],
)
def test_upload_problem(name, size, refused_because):
    problem = upload_problem(name, size, max_bytes=10 * 1024 * 1024)
    if refused_because is None:
        assert problem is None
    else:
        assert refused_because in problem


def test_settings_cannot_allow_markup_or_executables():
    allowed = frozenset({"html", "svg", "exe", "txt"})
    assert upload_problem("a.html", 10, 100, allowed) is not None
    assert upload_problem("a.svg", 10, 100, allowed) is not None
    assert upload_problem("a.txt", 10, 100, allowed) is None


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("install.log", "text/plain"),
        ("shot.JPG", "image/jpeg"),
        ("data.csv", "text/csv"),
        ("page.html", "application/octet-stream"),  # never served as markup
        ("noext", "application/octet-stream"),
    ],
)
def test_content_type_is_ours_not_the_uploaders(name, content_type):
    assert content_type_for(name) == content_type
