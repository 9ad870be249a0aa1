"""Where a webhook may point (the SSRF rule): an http(s) URL whose every address is a public one.
Loopback, private, link-local, multicast, reserved, shared (CGNAT) and unspecified addresses are
refused, in IPv4 and IPv6, an IPv4-mapped IPv6 address judged as the IPv4 address it carries — so
a person cannot make the platform POST into its own network. The operator's allow list
(`SUANLI_WEBHOOK_ALLOWED_TARGETS`: host names or CIDRs, comma-separated) lets named receivers
through, e.g. an on-premise system on 10.0.0.0/8 or a test receiver on 127.0.0.1."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = ("https", "http")


@dataclass(frozen=True)
class AllowedTargets:
    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


def parse_allowed(text: str | None) -> AllowedTargets:
    """The operator's list: each item a CIDR, an address (one host) or a host name."""
    hosts: set[str] = set()
    networks: list[Network] = []
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item.lower().rstrip("."))
    return AllowedTargets(frozenset(hosts), tuple(networks))


def address_refusal(address: Address) -> str | None:
    """Why the platform must not send to this address, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for reason, hit in (("unspecified", address.is_unspecified), ("loopback", address.is_loopback),
                        ("link-local", address.is_link_local), ("multicast", address.is_multicast),
                        ("private", address.is_private), ("reserved", address.is_reserved)):
        if hit:
            return reason
    if not address.is_global:  # shared address space (100.64/10), documentation ranges, 6to4 relays …
        return "reserved"
    return None


def url_refusal(url: str) -> str | None:
    """What is wrong with the URL itself (before any name is resolved), or None."""
    parts = urlsplit(url)
    if len(url) > 500 or parts.scheme not in SCHEMES or not parts.hostname:
        return "scheme"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return "scheme"
    return None


def literal_address(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def target_refusal(host: str, addresses: list[Address], allowed: AllowedTargets) -> str | None:
    """Why a host resolving to these addresses is refused (the first address that is), or None.
    A host on the allow list, or every address in an allowed network, passes."""
    if allowed.allows_host(host):
        return None
    if not addresses:
        return "unresolved"
    for address in addresses:
        if allowed.allows_address(address):
            continue
        reason = address_refusal(address)
        if reason is not None:
            return reason
    return None
