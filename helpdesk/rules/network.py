"""IP addresses and CIDR ranges as sortable keys (seed 002 FRAUD-STOP blocks addresses).

IPv4 is mapped into IPv6 (::ffff:a.b.c.d), so one pair of fixed-width hex keys covers both
families and "address inside range" is a plain comparison a database index can serve.
"""

from __future__ import annotations

import ipaddress

_V4_MAPPED = int(ipaddress.IPv6Address("::ffff:0:0"))


def _key(value: int) -> str:
    return f"{value:032x}"


def address_key(address: str) -> str:
    """The sort key of one address; IPv4-mapped IPv6 gives the same key as its IPv4 form."""
    ip = ipaddress.ip_address(address.strip())
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return _key(int(ip) + _V4_MAPPED if ip.version == 4 else int(ip))


def network_range(cidr: str) -> tuple[str, str, str]:
    """(canonical CIDR, first key, last key) of an address or range; ValueError if malformed."""
    network = ipaddress.ip_network(cidr.strip(), strict=False)
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped:
        prefix = max(network.prefixlen - 96, 0)
        network = ipaddress.ip_network(
            f"{network.network_address.ipv4_mapped}/{prefix}", strict=False
        )
    offset = _V4_MAPPED if network.version == 4 else 0
    first = int(network.network_address) + offset
    last = int(network.broadcast_address) + offset
    return str(network), _key(first), _key(last)
