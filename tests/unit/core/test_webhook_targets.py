"""The SSRF rule for webhook targets: every non-public address is refused, IPv4 and IPv6 alike,
an IPv4-mapped IPv6 address as the IPv4 address it carries; the operator's allow list lets named
hosts and networks through; only http(s) URLs are targets at all."""

from __future__ import annotations

import ipaddress

import pytest

from suanli.domain.webhook_targets import address_refusal, parse_allowed, target_refusal, url_refusal


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("10.0.0.1", "private"), ("172.31.255.1", "private"), ("192.168.0.1", "private"), ("fd12::1", "private"),
    ("::ffff:10.0.0.1", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.251", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("240.0.0.1", "private"), ("100.64.0.1", "reserved"), ("198.18.0.1", "private"), ("2001:db8::1", "private"),
])
def test_non_public_addresses_are_refused_with_their_reason(address: str, reason: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_a_host_is_refused_when_any_of_its_addresses_is() -> None:
    public, private = ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("10.0.0.1")
    assert target_refusal("hooks.example", [public], parse_allowed("")) is None
    assert target_refusal("hooks.example", [public, private], parse_allowed("")) == "private"
    assert target_refusal("hooks.example", [], parse_allowed("")) == "unresolved"


def test_the_allow_list_names_hosts_and_networks() -> None:
    allowed = parse_allowed(" Hooks.Intra.Example. , 10.20.0.0/16,127.0.0.1,")
    private = ipaddress.ip_address("10.20.1.1")
    assert target_refusal("hooks.intra.example", [ipaddress.ip_address("192.168.1.1")], allowed) is None
    assert target_refusal("other.example", [private], allowed) is None
    assert target_refusal("other.example", [ipaddress.ip_address("127.0.0.1")], allowed) is None
    assert target_refusal("other.example", [private, ipaddress.ip_address("10.21.0.1")], allowed) == "private"
    assert target_refusal("other.example", [ipaddress.ip_address("127.0.0.2")], allowed) == "loopback"


@pytest.mark.parametrize(("url", "ok"), [
    ("https://hooks.example/in", True), ("http://hooks.example:8080/in", True), ("ftp://hooks.example/", False),
    ("file:///etc/passwd", False), ("javascript:alert(1)", False), ("https://", False),
    ("http://hooks.example:99999/", False), ("https://" + "a" * 500 + ".example/", False),
])
def test_only_http_urls_with_a_host_are_targets(url: str, ok: bool) -> None:
    assert (url_refusal(url) is None) is ok
