import pytest

from helpdesk.web.filters import filesize, money


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 bytes"), (1, "1 byte"), (50, "50 bytes"), (1536, "1.5 KB"), (3 * 1048576, "3.0 MB")],
)
def test_filesize(size, shown):
    assert filesize(size) == shown


@pytest.mark.parametrize(
    ("cents", "shown"), [(0, "USD 0.00"), (99500, "USD 995.00"), (-1234567, "-USD 12,345.67")]
)
def test_money(cents, shown):
    assert money(cents) == shown
