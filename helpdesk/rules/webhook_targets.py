"""Where a webhook may be sent: a public http(s) address, never one of our own networks.

Rule (REST API issue, webhooks: server-side request forgery): an administrator's URL must not
make the helpdesk talk to itself, to machines on its private network or to a cloud metadata
service. So a target is refused when its address is loopback, private, link-local, shared
(carrier-grade NAT), unspecified, multicast, reserved or otherwise not global, in IPv4 or IPv6,
also when written as IPv4-mapped IPv6 ([::ffff:127.0.0.1]) or in the numeric forms resolvers
accept (0x7f000001, 2130706433, 017700000001, 127.1). A host name is refused when any of the
addresses it resolves to is; the caller resolves it (this module does no I/O) and connects to
exactly the address checked here. Ranges an administrator names (an internal receiver, say
10.20.0.0/16) are allowed anyway.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

URL_MAX = 2000
NETWORKS_MAX = 20
# An allowed range wider than this would switch the guard off for a whole address family.
WIDEST_ALLOWED_PREFIX = {4: 8, 6: 7}

_net = ipaddress.ip_network

# (range, what it is), most specific first where ranges nest; anything else not global falls
# to the catch-all at the end of `refusal`.
REFUSED: tuple[tuple[Network, str], ...] = (
    (_net("169.254.169.254/32"), "the cloud metadata service"),
    (_net("0.0.0.0/8"), "an unspecified (this host) address"),
    (_net("10.0.0.0/8"), "a private address"),
    (_net("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),
    (_net("127.0.0.0/8"), "a loopback address"),
    (_net("169.254.0.0/16"), "a link-local address"),
    (_net("172.16.0.0/12"), "a private address"),
    (_net("192.0.0.0/24"), "a reserved address"),
    (_net("192.0.2.0/24"), "a documentation address"),
    (_net("192.168.0.0/16"), "a private address"),
    (_net("198.18.0.0/15"), "a benchmarking address"),
    (_net("198.51.100.0/24"), "a documentation address"),
    (_net("203.0.113.0/24"), "a documentation address"),
    (_net("224.0.0.0/4"), "a multicast address"),
    (_net("240.0.0.0/4"), "a reserved address"),
    (_net("::/128"), "an unspecified address"),
    (_net("::1/128"), "a loopback address"),
    (_net("::/96"), "a reserved address"),  # IPv4-compatible IPv6, long deprecated
    (_net("100::/64"), "a discard address"),
    (_net("2001:db8::/32"), "a documentation address"),
    (_net("fc00::/7"), "a private (unique local) address"),
    (_net("fe80::/10"), "a link-local address"),
    (_net("fec0::/10"), "a site-local address"),
    (_net("ff00::/8"), "a multicast address"),
)
_NAT64 = _net("64:ff9b::/96")
_HOST_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")


class TargetError(ValueError):
    """A URL or address we will not send to; the message says why, for the administrator."""


@dataclass(frozen=True)
class Target:
    """A checked URL: what to connect to and what to ask for."""

    scheme: str  # http or https
    host: str  # as the Host header and TLS SNI name it (ASCII, lower case, IPv6 unbracketed)
    port: int
    path: str  # the request target: path and query
    address: Address | None  # set when the URL names an address rather than a host name

    @property
    def https(self) -> bool:
        return self.scheme == "https"


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a resolver reads in `host` (inet_aton forms), else None for a name.

    "127.1", "0x7f000001", "2130706433", "017700000001" and "0x7f.0.0.1" all mean 127.0.0.1;
    a host whose labels are all numbers but that spells no address raises TargetError.
    """
    labels = host.lower().split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels = labels[:-1]  # a fully qualified name's trailing dot
    if not all(_NUMERIC_LABEL.fullmatch(label) for label in labels):
        if _NUMERIC_LABEL.fullmatch(labels[-1]) and len(labels) > 1:
            # "a.123": URL parsers take a numeric last label for an address, and fail on it.
            raise TargetError(f"“{host}” is neither a host name nor an IP address.")
        return None
    values = []
    for label in labels:
        if label.startswith("0x"):
            values.append(int(label[2:] or "0", 16))
        elif len(label) > 1 and label.startswith("0"):
            if not set(label) <= set("01234567"):
                raise TargetError(f"“{host}” is not an IP address.")
            values.append(int(label, 8))
        else:
            values.append(int(label))
    if len(values) > 4:
        raise TargetError(f"“{host}” is not an IP address.")
    *leading, last = values
    if any(value > 255 for value in leading) or last >= 256 ** (5 - len(values)):
        raise TargetError(f"“{host}” is not an IP address.")
    number = 0
    for value in leading:
        number = number * 256 + value
    number = number * 256 ** (5 - len(values)) + last
    return ipaddress.IPv4Address(number)


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and reaches: mapped, NAT64, 6to4 or Teredo."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's own address, behind the Teredo relay
    return None


def refusal(address: Address, allowed: tuple[Network, ...] = ()) -> str | None:
    """Why we must not connect to `address` (e.g. "a loopback address"), or None when we may."""
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        address = ipaddress.IPv6Address(address.compressed.split("%")[0])
    if any(address.version == net.version and address in net for net in allowed):
        return None
    inner = embedded_ipv4(address)
    if inner is not None:
        if address.ipv4_mapped is not None:
            return refusal(inner, allowed)  # the very same address, written as IPv6
        why = refusal(inner, allowed)
        if why is not None:
            return f"{why} (inside an IPv6 address)"
    for network, why in REFUSED:
        if address.version == network.version and address in network:
            return why
    if not address.is_global:
        return "not a public address"
    return None


def check_url(url: str) -> Target:
    """The target of a webhook URL, or TargetError saying what is wrong with it.

    Only its form is checked here; the caller checks the address written in it, or the
    addresses its host name resolves to, with `refused_because`.
    """
    url = (url or "").strip()
    if not url:
        raise TargetError("Enter the URL the events are sent to.")
    if len(url) > URL_MAX:
        raise TargetError(f"Use a URL of at most {URL_MAX} characters.")
    if not url.isascii() or any(ord(char) <= 32 or char in "\x7f\\" for char in url):
        raise TargetError(
            "Use a URL without spaces or accented letters (percent-encode them, e.g. %20)."
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetError("This is not a valid URL, e.g. https://example.com/hooks.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise TargetError("Use an https:// (or http://) URL.")
    if parts.username is not None or parts.password is not None:
        raise TargetError("Leave the user name and password out of the URL.")
    if parts.fragment or url.endswith("#"):
        raise TargetError("Leave out the # part: it is never sent.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetError("The URL needs a host, e.g. https://example.com/hooks.")
    if port == 0:
        raise TargetError("Use a port from 1 to 65535.")
    port = port or (443 if scheme == "https" else 80)
    host, address = _host_of(host, parts.netloc)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port, path, address)


def _host_of(host: str, netloc: str) -> tuple[str, Address | None]:
    """The host as we send it and the address it names (None for a name); TargetError."""
    if "[" in netloc:  # an IPv6 literal; urlsplit dropped the brackets
        if "%" in host:
            raise TargetError("Leave the zone (%…) out of the IPv6 address.")
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            raise TargetError(f"“{host}” is not an IPv6 address.") from None
        return address.compressed, address
    if ":" in host:
        raise TargetError("Write an IPv6 address in brackets, e.g. https://[2001:db8::1]/.")
    address = numeric_ipv4(host)
    if address is not None:
        return str(address), address
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise TargetError(f"“{host}” is not a valid host name.") from None
    if len(ascii_host) > 253 or not all(_HOST_LABEL.fullmatch(x) for x in ascii_host.split(".")):
        raise TargetError(f"“{host}” is not a valid host name.")
    return ascii_host, None


def refused_because(
    target: Target, addresses: list[Address], allowed: tuple[Network, ...] = ()
) -> str | None:
    """Why a delivery to `target` at these (resolved) addresses is refused, or None.

    Every address must pass: a name that resolves to one public and one private address
    could otherwise be steered to the private one.
    """
    if not addresses:
        return f"No address was found for {target.host}."
    for address in addresses:
        why = refusal(address, allowed)
        if why is None:
            continue
        if target.address is not None:
            return f"{address} is {why}: webhooks go only to public addresses."
        return f"{target.host} is at {address}, {why}: webhooks go only to public addresses."
    return None


def parse_networks(text: str) -> tuple[Network, ...]:
    """The ranges of an "allowed anyway" setting ("10.20.0.0/16, 192.168.5.7"); ValueError."""
    entries = [entry for entry in re.split(r"[\s,;]+", text or "") if entry]
    if len(entries) > NETWORKS_MAX:
        raise ValueError(f"Name at most {NETWORKS_MAX} ranges.")
    networks: list[Network] = []
    for entry in entries:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            shown = entry[:50]
            raise ValueError(f"“{shown}” is not an address or range, e.g. 10.20.0.0/16.") from None
        if network.prefixlen < WIDEST_ALLOWED_PREFIX[network.version]:
            widest = WIDEST_ALLOWED_PREFIX[network.version]
            raise ValueError(f"{network} is too wide: use at most a /{widest}.")
        if network not in networks:
            networks.append(network)
    return tuple(networks)


def format_networks(networks: tuple[Network, ...]) -> str:
    """The setting's stored text: canonical ranges, comma-separated."""
    return ", ".join(str(network) for network in networks)
