import pytest

from helpdesk.rules.passwords import MAX_LENGTH, MIN_LENGTH, password_problems

SHORT = "Use at least 10 characters."
LONG = "Use at most 128 characters."
COMMON = "This password is too common; choose another."
REPEATED = "Do not use a single repeated character."
EMAIL = "Do not include your e-mail address."
NAME = "Do not include your name."


def test_limits() -> None:
    assert (MIN_LENGTH, MAX_LENGTH) == (10, 128)


@pytest.mark.parametrize(
    ("password", "email", "name", "problems"),
    [
        pytest.param("correct horse battery", "", "", [], id="good passphrase"),
        pytest.param("k7#Qz!m2Lp", "", "", [], id="exactly 10 characters"),
        pytest.param("k7#Qz!m2L", "", "", [SHORT], id="9 characters"),
        pytest.param("", "", "", [SHORT], id="empty"),
        pytest.param("x" * 64 + "y" * 64, "", "", [], id="exactly 128 characters"),
        pytest.param("x" * 64 + "y" * 65, "", "", [LONG], id="129 characters"),
        pytest.param("password123", "", "", [COMMON], id="common"),
        pytest.param("PassWord123", "", "", [COMMON], id="common, any case"),
        pytest.param("QWERTYUIOP", "", "", [COMMON], id="keyboard row"),
        pytest.param("1234567890", "", "", [COMMON], id="digits"),
        pytest.param("letmein123", "", "", [COMMON], id="letmein"),
        pytest.param("password", "", "", [SHORT, COMMON], id="common and short"),
        pytest.param("aaaaaaaaaaaa", "", "", [REPEATED], id="repeated character"),
        pytest.param("aaaa", "", "", [SHORT, REPEATED], id="short repeated"),
        pytest.param("aaaaaaaaaab", "", "", [], id="nearly repeated is fine"),
        pytest.param(
            "my-jsmith-secret", "jsmith@example.com", "", [EMAIL], id="contains e-mail local part"
        ),
        pytest.param("my-JSMITH-secret", "JSmith@Example.com", "", [EMAIL], id="e-mail, any case"),
        pytest.param("blue-jo-rivers", "jo@example.com", "", [], id="local part under 3 chars"),
        pytest.param("example.com-rocks", "jsmith@example.com", "", [], id="domain is not checked"),
        pytest.param("tall-Marguerite-9", "", "Marguerite Li", [NAME], id="contains first name"),
        pytest.param("riverdale-mcintyre", "", "Ana McIntyre", [NAME], id="surname, any case"),
        pytest.param("sunny-li-and-mo-7", "", "Li Mo", [], id="name parts under 3 chars"),
        pytest.param(
            "o'brien-carroll-x", "", "Sean Carroll-O'Brien", [NAME], id="hyphenated surname"
        ),
        pytest.param(
            "jsmith-john-x1",
            "jsmith@example.com",
            "John Smith",
            [EMAIL, NAME],
            id="e-mail and name",
        ),
    ],
)
def test_password_problems(password: str, email: str, name: str, problems: list[str]) -> None:
    assert password_problems(password, email=email, name=name) == problems
