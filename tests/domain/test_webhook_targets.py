"""The SSRF guard: outbound webhooks never go to cosell itself, link-local/metadata, loopback or private
addresses where the policy forbids them, whatever the host name resolves to."""

from __future__ import annotations

import pytest

from domain.webhook_targets import TargetPolicy, UnsafeTarget, check_url, resolve

PRODUCTION = TargetPolicy()
DEVELOPMENT = TargetPolicy(
    allow_http=True, allow_loopback=True, allow_private=True, own=frozenset({("127.0.0.1", 8000)})
)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://receiver.example/hooks", "must use https"),
        ("ftp://receiver.example/hooks", "must use https"),
        ("https://user:pw@receiver.example/hooks", "credentials"),
        ("https://127.0.0.1/hooks", "loopback"),
        ("https://[::1]/hooks", "loopback"),
        ("https://10.0.0.7/hooks", "private"),
        ("https://192.168.1.20/hooks", "private"),
        ("https://100.64.0.1/hooks", "private"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://[fe80::1]/hooks", "link-local"),
        ("https://[::ffff:127.0.0.1]/hooks", "loopback"),
        ("https://0.0.0.0/hooks", "not a unicast"),
        ("https:///hooks", "no host"),
    ],
)
async def test_production_refuses_internal_targets(url: str, why: str) -> None:
    with pytest.raises(UnsafeTarget, match=why):
        await resolve(url, PRODUCTION)


async def test_a_name_that_resolves_to_loopback_is_refused_in_production() -> None:
    with pytest.raises(UnsafeTarget, match="loopback"):
        await resolve("https://localhost/hooks", PRODUCTION)


async def test_development_allows_loopback_but_never_metadata_or_cosell_itself() -> None:
    assert [str(a) for a in await resolve("http://127.0.0.1:9999/hooks", DEVELOPMENT)] == ["127.0.0.1"]
    with pytest.raises(UnsafeTarget, match="cosell itself"):
        check_url("http://127.0.0.1:8000/api/v1/anything", DEVELOPMENT)
    with pytest.raises(UnsafeTarget, match="metadata"):
        await resolve("http://169.254.169.254/latest/meta-data", DEVELOPMENT)
    with pytest.raises(UnsafeTarget, match="does not resolve"):
        await resolve("http://no-such-host.invalid/hooks", DEVELOPMENT)
