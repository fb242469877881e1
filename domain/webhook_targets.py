"""Where a webhook may be sent (SSRF guard): the URL's shape when a subscription is saved, and every address its
host resolves to just before each request, which then goes to a checked address (no second lookup to rebind).

Never: cosell itself, link-local and cloud metadata addresses, unspecified, multicast or reserved ones.
Loopback only where the policy allows it (development and tests); private ranges only outside production.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class UnsafeTarget(ValueError):
    """The URL or an address it resolves to is not allowed; the message says which and why."""


@dataclass(frozen=True)
class TargetPolicy:
    allow_http: bool = False
    allow_loopback: bool = False
    allow_private: bool = False
    own: frozenset[tuple[str, int]] = field(default_factory=frozenset)  # (host, port) cosell itself answers on


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


def check_url(url: str, policy: TargetPolicy) -> None:
    """The URL alone (no DNS): scheme, no credentials, a host, not cosell."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise UnsafeTarget(f"not a URL: {exc}") from exc
    allowed = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeTarget(f"the URL must use {' or '.join(allowed)}")
    if not parts.hostname:
        raise UnsafeTarget("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeTarget("the URL must not carry credentials")
    if host_port(url) in policy.own:
        raise UnsafeTarget("the URL points at cosell itself")
    try:
        check_address(ipaddress.ip_address(parts.hostname), policy)
    except ValueError as exc:
        if isinstance(exc, UnsafeTarget):
            raise
        # a name, not an address: checked when it is resolved


def check_address(ip: IP, policy: TargetPolicy) -> None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA or ip.is_link_local:
        raise UnsafeTarget(f"{ip} is a link-local or metadata address")
    if ip.is_loopback:
        if not policy.allow_loopback:
            raise UnsafeTarget(f"{ip} is a loopback address")
        return
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        raise UnsafeTarget(f"{ip} is not a unicast address")
    if not ip.is_global and not policy.allow_private:
        raise UnsafeTarget(f"{ip} is a private address")


async def resolve(url: str, policy: TargetPolicy) -> list[IP]:
    """Every address of the URL's host, each checked; refuses the URL if any one is not allowed."""
    check_url(url, policy)
    host, port = host_port(url)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeTarget(f"{host} does not resolve: {exc.strerror}") from exc
    addresses: list[IP] = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0])
        check_address(ip, policy)
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise UnsafeTarget(f"{host} has no address")
    return addresses
