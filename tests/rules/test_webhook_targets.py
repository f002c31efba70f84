"""The SSRF guard: which addresses a webhook may reach, and the URLs it accepts."""

from __future__ import annotations

import ipaddress

import pytest

from helpdesk.rules.webhook_targets import (
    TargetError,
    check_url,
    numeric_ipv4,
    parse_networks,
    refusal,
    refused_because,
)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.0.0.1", "private"),
        ("10.255.255.255", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.10.20", "link-local"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("0.1.2.3", "unspecified"),
        ("100.64.0.1", "shared"),
        ("100.127.255.254", "shared"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.10", "documentation"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.1.2.3", "private"),
        ("::ffff:169.254.169.254", "metadata"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
        ("2002:c0a8:0101::1", "private"),  # 6to4 of 192.168.1.1
        ("2001:db8::1", "documentation"),
    ],
)
def test_refused_addresses(address, why):
    assert why in refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "93.184.215.14", "172.32.0.1", "100.128.0.1", "::ffff:8.8.8.8",
     "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"],
)  # fmt: skip
def test_public_addresses_pass(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0", "0.0.0.0"),  # noqa: S104
        ("10.1", "10.0.0.1"),
        ("3232235777", "192.168.1.1"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("127.0.0.1.", "127.0.0.1"),
    ],
)
def test_numeric_host_forms_are_read_as_the_resolver_reads_them(host, address):
    assert numeric_ipv4(host) == ipaddress.IPv4Address(address)


@pytest.mark.parametrize("host", ["256.0.0.1", "1.2.3.4.5", "08.0.0.1", "4294967296", "a.123"])
def test_numbers_that_are_no_address_are_refused(host):
    with pytest.raises(TargetError):
        numeric_ipv4(host)


@pytest.mark.parametrize("host", ["example.com", "hooks.example.com", "1e100.net", "x0x7f"])
def test_host_names_are_not_numbers(host):
    assert numeric_ipv4(host) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://017700000001/",
        "https://[::1]/",
        "https://[::]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[fc00::1]/",
        "https://[fe80::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:8000/",
        "http://100.64.1.1/",
        "http://10.0.0.5/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
    ],
)
def test_urls_naming_internal_addresses_are_refused(url):
    target = check_url(url)
    assert target.address is not None
    assert refused_because(target, [target.address]) is not None


def test_a_host_name_is_refused_when_any_of_its_addresses_is():
    target = check_url("https://hooks.example.com/in")
    public, private = ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.7")
    assert refused_because(target, [public]) is None
    why = refused_because(target, [public, private])
    assert why == (
        "hooks.example.com is at 10.0.0.7, a private address: webhooks go only to public addresses."
    )
    assert "No address" in refused_because(target, [])


def test_allowed_ranges_let_an_internal_receiver_through():
    allowed = parse_networks("10.20.0.0/16, 127.0.0.0/8")
    assert refusal(ipaddress.ip_address("10.20.3.4"), allowed) is None
    assert refusal(ipaddress.ip_address("127.0.0.1"), allowed) is None
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allowed) is None
    assert "private" in refusal(ipaddress.ip_address("10.21.0.1"), allowed)
    assert "metadata" in refusal(ipaddress.ip_address("169.254.169.254"), allowed)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("0.0.0.0/0", "too wide"),
        ("10.0.0.0/7", "too wide"),
        ("::/0", "too wide"),
        ("10.20.0.0/33", "not an address"),
        ("intranet", "not an address"),
    ],
)
def test_allowed_ranges_are_checked(text, error):
    with pytest.raises(ValueError, match=error):
        parse_networks(text)


def test_allowed_ranges_are_kept_canonical():
    assert [str(n) for n in parse_networks("10.20.1.7/16 ;192.168.5.7, fd00::/8")] == [
        "10.20.0.0/16",
        "192.168.5.7/32",
        "fd00::/8",
    ]
    assert parse_networks("") == ()


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "path"),
    [
        ("https://hooks.example.com/in?src=helpdesk", "https", "hooks.example.com", 443,
         "/in?src=helpdesk"),
        ("http://Hooks.Example.COM:8080", "http", "hooks.example.com", 8080, "/"),
        ("https://[2606:4700::1111]:8443/x", "https", "2606:4700::1111", 8443, "/x"),
        ("  https://example.com./a  ", "https", "example.com", 443, "/a"),
    ],
)  # fmt: skip
def test_accepted_urls(url, scheme, host, port, path):
    target = check_url(url)
    assert (target.scheme, target.host, target.port, target.path) == (scheme, host, port, path)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("", "Enter the URL"),
        ("ftp://example.com/", "https://"),
        ("javascript:alert(1)", "https://"),
        ("//example.com/x", "https://"),
        ("https://user:pw@example.com/", "user name"),
        ("https://example.com/#top", "# part"),
        ("https:///path", "needs a host"),
        ("https://exa mple.com/", "without spaces"),
        ("https://exämple.com/", "without spaces"),
        ("https://example.com\\@127.0.0.1/", "without spaces"),
        ("https://example.com:0/", "port"),
        ("https://example.com:70000/", "not a valid URL"),
        ("https://[fe80::1%25eth0]/", "zone"),
        ("https://[nonsense]/", "not a valid URL"),
        ("https://exa_mple..com/", "not a valid host name"),
        ("https://a.123/", "neither"),
        ("https://" + "a" * 2000 + ".com/", "at most"),
    ],
)
def test_refused_urls(url, error):
    with pytest.raises(TargetError, match=error):
        check_url(url)
