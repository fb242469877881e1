"""Which GETs of a step page count as the partner's visit (a behavior fact), and which are mail scanners.

Corporate mail filters fetch every link in a message before the human sees it (Microsoft Defender Safe
Links, Proofpoint URL Defense, Mimecast, Barracuda; see /work/shared/notes/email-and-links.md §5.2). A
prefetch must not read as "the partner opened it within a minute". The rule, applied in this order:

1. A HEAD request is never a visit: browsers GET a link; link checkers and scanners probe with HEAD.
2. No User-Agent, or one naming a known scanner, preview fetcher or automation tool, is not a visit
   (`SCANNER_MARKERS`, matched case-insensitively as substrings).
3. Everything else is a visit. Scanners that pose as a desktop browser (Safe Links sometimes fetches with
   an ordinary Chrome user agent from Microsoft's address space) cannot be told apart by the request alone
   and do count: the visit is a hint of attention, the completion (a POST) is the proof.

Visits are kept once per journey, step and the partner's local day; the first one of the day wins.
"""

from __future__ import annotations

SCANNER_MARKERS = (
    "headlesschrome",  # Safe Links and most sandboxing scanners detonate links in headless Chrome
    "safelinks",
    "safe links",
    "microsoft office",  # Office apps fetch links for previews and protocol discovery
    "ms-office",
    "proofpoint",
    "urldefense",
    "mimecast",
    "barracuda",
    "bingpreview",
    "google-safety",
    "googleimageproxy",
    "slackbot",
    "linkexpanding",
    "preview",
    "bot",
    "crawler",
    "spider",
    "scanner",
    "curl/",
    "wget/",
    "python-requests",
    "python-httpx",
    "go-http-client",
)


def not_a_visit(method: str, user_agent: str | None) -> str | None:
    """Why this request is not the partner's visit, or None when it counts as one."""
    if method.upper() == "HEAD":
        return "HEAD request (link checker or scanner)"
    agent = (user_agent or "").strip().lower()
    if not agent:
        return "no user agent"
    for marker in SCANNER_MARKERS:
        if marker in agent:
            return f"user agent names {marker!r}"
    return None
