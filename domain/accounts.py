"""Account matching: normalized domains first, then normalized company names with a fuzzy score.

Rules (each one a decision, documented in the README):
- A domain is the host of a URL, website or email address, lower-cased, without `www.`, port or
  trailing dot, IDNs in punycode. Subdomains other than `www.` are kept (no public-suffix list).
- Public email domains (gmail.com, outlook.com, ...) never match anything: they say nothing about a company.
- Same domain -> a domain match, confidence 100.
- Otherwise the same normalized name (legal suffixes, case, accents and punctuation removed) -> a
  name match, confidence 95; or a name whose `fuzz.ratio` (normalized Indel similarity) is at least
  NAME_THRESHOLD among names starting with the same 4 characters -> a name match with that score,
  capped at 94. `ratio` is deliberate: it penalizes extra words, so "Acme" never matches
  "Acme Analytics" the way a partial/token-set scorer would. A name match is rejected when both sides
  have different (non-public) domains: two companies can share a name, not a website.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

import idna
from rapidfuzz import fuzz, process

NAME_THRESHOLD = 90  # "Northwind Traders"/"Northwood Traders" score 88; "Contoso Pharmaceutical(s)" 98
EXACT_NAME_CONFIDENCE = 95
BLOCK_PREFIX = 4  # candidates for fuzzy names share their first 4 characters


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PUBLIC_DOMAINS = _words(
    """
    gmail.com googlemail.com outlook.com hotmail.com live.com msn.com passport.com icloud.com me.com mac.com
    aol.com aim.com yahoo.com ymail.com rocketmail.com proton.me protonmail.com protonmail.ch pm.me tutanota.com
    tuta.io gmx.com gmx.net gmx.de gmx.at gmx.ch web.de t-online.de freenet.de posteo.de mailbox.org yandex.com
    yandex.ru ya.ru mail.ru bk.ru inbox.ru list.ru rambler.ru qq.com 163.com 126.com sina.com naver.com daum.net
    hanmail.net zoho.com zohomail.com fastmail.com fastmail.fm hey.com hushmail.com mail.com email.com usa.com
    inbox.com libero.it virgilio.it alice.it orange.fr wanadoo.fr free.fr laposte.net sfr.fr btinternet.com
    sky.com virginmedia.com ntlworld.com talktalk.net comcast.net verizon.net att.net sbcglobal.net
    bellsouth.net cox.net charter.net earthlink.net shaw.ca rogers.com sympatico.ca telus.net bigpond.com
    optusnet.com.au seznam.cz wp.pl o2.pl onet.pl interia.pl rediffmail.com uol.com.br bol.com.br terra.com.br
    """
)
# Providers with one domain per country: hotmail.co.uk, yahoo.fr, gmx.de, outlook.com.br ...
_PUBLIC_FAMILIES = _words("hotmail outlook live yahoo ymail gmx aol msn windowslive")
_COUNTRY_SUFFIX = re.compile(r"(com|net|org|co|[a-z]{2})(\.[a-z]{2,3})?")

_LEGAL_SUFFIXES = _words(
    """
    inc incorporated corp corporation co company cos llc lc llp lp ltd limited plc pllc pc gmbh mbh ag kg kgaa
    ohg ug ev sa sas sarl srl spa snc nv bv bvba vof oy oyj ab as asa aps se kk pty pte pvt sdn bhd tbk sl slu
    sro zrt kft doo ooo pao zao
    """
)
_LEADING_WORDS = frozenset({"the"})
_ABBREVIATIONS = {"intl": "international", "int'l": "international", "mfg": "manufacturing", "svcs": "services"}
_DOTTED_INITIALS = re.compile(r"\b(\w)\.(?=\w\b)")
_NON_WORD = re.compile(r"[^\w]+")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_IPV4 = re.compile(r"\d+(\.\d+){3}")


def normalize_domain(value: str) -> str | None:
    """The host of a URL, website or email address, normalized; None when it is not a domain."""
    text = value.strip()
    if not text or any(c.isspace() for c in text):
        return None
    text = text.removeprefix("mailto:")
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    try:
        host = urlsplit(text if "://" in text else f"//{text}").hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    host = host.removeprefix("www.")
    if "." not in host or _IPV4.fullmatch(host):
        return None
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    labels = ascii_host.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return None
    return ascii_host


def is_public_email_domain(domain: str) -> bool:
    domain = domain.lower().rstrip(".")
    if domain in _PUBLIC_DOMAINS:
        return True
    first, _, rest = domain.partition(".")
    return first in _PUBLIC_FAMILIES and bool(_COUNTRY_SUFFIX.fullmatch(rest))


def company_domain(domain: str | None) -> str | None:
    """The domain if it can identify a company, else None (public email providers)."""
    return domain if domain and not is_public_email_domain(domain) else None


@lru_cache(maxsize=1 << 16)  # an import asks for the same names several times per row (lookups, keys, adoption)
def name_key(name: str) -> str:
    """A company name reduced to what identifies it: "ACME, Inc." and "Acme Incorporated" -> "acme"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ").replace("+", " and ").replace("'", "").replace("\u2019", "")
    text = _DOTTED_INITIALS.sub(r"\1", text)  # "S.A." -> "sa", "U.S." -> "us"
    tokens = [_ABBREVIATIONS.get(t, t) for t in _NON_WORD.sub(" ", text).replace("_", " ").split()]
    core = list(tokens)
    while core and core[0] in _LEADING_WORDS:
        core.pop(0)
    while core and (core[-1] in _LEGAL_SUFFIXES or core[-1] == "and"):
        core.pop()
    # A name that is nothing but a suffix ("AG") keeps its words rather than vanishing.
    return " ".join(core or tokens)


@dataclass(frozen=True)
class AccountRef:
    ref: Any
    name: str
    domain: str | None  # already normalized
    name_key: str = field(default="", compare=False)  # precomputed name_key(name), to save work on big lists

    def key(self) -> str:
        return self.name_key or name_key(self.name)


@dataclass(frozen=True)
class Match:
    partner_ref: Any
    vendor_ref: Any
    key: Literal["domain", "name"]
    confidence: int


class VendorIndex:
    """The vendor's accounts indexed once (by domain, exact name key and name prefix) to match many lists."""

    def __init__(self, vendor_accounts: Iterable[AccountRef]) -> None:
        self._by_domain: dict[str, AccountRef] = {}
        self._by_name: dict[str, list[AccountRef]] = defaultdict(list)
        blocks: dict[str, dict[str, None]] = defaultdict(dict)  # ordered sets of name keys
        for account in vendor_accounts:
            domain = company_domain(account.domain)
            if domain:
                self._by_domain.setdefault(domain, account)
            key = account.key()
            if key:
                self._by_name[key].append(account)
                blocks[key[:BLOCK_PREFIX]][key] = None
        self._blocks = {prefix: list(keys) for prefix, keys in blocks.items()}
        self.pairs_considered = 0  # fuzzy comparisons made, for benchmarks

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_name.values())

    def match(self, partner_accounts: Iterable[AccountRef]) -> list[Match]:
        """One best vendor account per partner account that overlaps; the others are not in the result."""
        matches = []
        for account in partner_accounts:
            found = self._match_one(account)
            if found is not None:
                matches.append(found)
        return matches

    def _match_one(self, account: AccountRef) -> Match | None:
        domain = company_domain(account.domain)
        if domain and (vendor := self._by_domain.get(domain)) is not None:
            return Match(account.ref, vendor.ref, "domain", 100)
        key = account.key()
        if not key:
            return None
        for vendor in self._by_name.get(key, ()):
            if _compatible(domain, vendor):
                return Match(account.ref, vendor.ref, "name", EXACT_NAME_CONFIDENCE)
        block = self._blocks.get(key[:BLOCK_PREFIX])
        if not block:
            return None
        self.pairs_considered += len(block)
        for candidate, score, _ in process.extract(key, block, scorer=fuzz.ratio, score_cutoff=NAME_THRESHOLD, limit=5):
            for vendor in self._by_name[candidate]:
                if _compatible(domain, vendor):
                    return Match(account.ref, vendor.ref, "name", min(int(score), EXACT_NAME_CONFIDENCE - 1))
        return None


def _compatible(partner_domain: str | None, vendor: AccountRef) -> bool:
    vendor_domain = company_domain(vendor.domain)
    return not (partner_domain and vendor_domain and partner_domain != vendor_domain)
