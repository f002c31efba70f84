import pytest

from helpdesk.rules.network import address_key, network_range


def inside(address: str, cidr: str) -> bool:
    _, first, last = network_range(cidr)
    return first <= address_key(address) <= last


@pytest.mark.parametrize(
    ("address", "cidr", "expected"),
    [
        ("203.0.113.7", "203.0.113.0/24", True),
        ("203.0.113.255", "203.0.113.0/24", True),
        ("203.0.114.0", "203.0.113.0/24", False),
        ("203.0.112.255", "203.0.113.0/24", False),
        ("10.1.2.3", "10.1.2.3", True),
        ("10.1.2.4", "10.1.2.3", False),
        ("::ffff:203.0.113.9", "203.0.113.0/24", True),  # IPv4-mapped IPv6 client address
        ("203.0.113.9", "::ffff:203.0.113.0/120", True),  # range entered in mapped form
        ("2001:db8::1", "2001:db8::/32", True),
        ("2001:db9::1", "2001:db8::/32", False),
        ("203.0.113.7", "2001:db8::/32", False),
        ("0.0.0.1", "::/96", False),  # IPv4 space is not the IPv6 zero range
    ],
)
def test_address_in_range(address, cidr, expected):
    assert inside(address, cidr) is expected


def test_canonical_network_drops_host_bits():
    assert network_range("198.51.100.77/24")[0] == "198.51.100.0/24"
    assert network_range("::ffff:198.51.100.0/120")[0] == "198.51.100.0/24"


def test_keys_sort_like_numbers():
    assert address_key("9.0.0.0") < address_key("10.0.0.0") < address_key("2001:db8::")


@pytest.mark.parametrize("bad", ["", "300.1.1.1", "1.2.3.4/33", "not-an-ip", "1.2.3"])
def test_malformed_input_is_refused(bad):
    with pytest.raises(ValueError):
        network_range(bad)
