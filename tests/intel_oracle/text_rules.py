"""Deterministic checks of what a partner wrote: does an answer name an industry, a buyer, an outcome...

Each check returns the evidence it found (the word, or the field that carried it) or None. They read
the answer's words, so they work on any playbook's fields; a few also read well-known field keys
(numbers of customers, a reference field, a duration) because those carry meaning without words.
An answer is split into lower-case words once (`Text`); every check is then a set or prefix lookup,
which keeps a partner's whole assessment well under a millisecond.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

WORD = re.compile(r"\d[\d,.]*%?|[a-z]+|[$€£]")
INDUSTRY_STEMS = {
    "financ": "financial services",
    "bank": "financial services",
    "lender": "financial services",
    "insur": "insurance",
    "health": "healthcare",
    "hospital": "healthcare",
    "payer": "healthcare",
    "pharma": "healthcare",
    "retail": "retail",
    "consumer": "retail",
    "manufactur": "manufacturing",
    "industrial": "manufacturing",
    "energy": "energy",
    "utilit": "energy",
    "government": "public sector",
    "municipal": "public sector",
    "education": "education",
    "universit": "education",
    "media": "media",
    "telecom": "media",
    "telco": "media",
    "software": "software",
    "saas": "software",
    "logistic": "logistics",
    "transport": "logistics",
    "shipping": "logistics",
}
INDUSTRY_PHRASES = {
    "life science": "healthcare",
    "public sector": "public sector",
    "oil and gas": "energy",
    "professional services": "professional services",
}
SIZE_PHRASES = ("mid-market", "mid market", "mid-size", "small business", "large enterprise")
SIZE_WORDS = frozenset({"smb", "sme", "enterprise", "midmarket", "midsize", "employees"})
ROLE_WORDS = frozenset(
    [
        "cio",
        "cto",
        "cfo",
        "ceo",
        "ciso",
        "cdo",
        "cmo",
        "coo",
        "cro",
        "vp",
        "chief",
        "head",
        "director",
        "controller",
        "manager",
        "officer",
        "owner",
        "lead",
        "architect",
        "administrator",
        "buyer",
    ]
)
AUDIENCE_WORDS = frozenset(
    [
        "team",
        "teams",
        "leaders",
        "heads",
        "banks",
        "insurers",
        "hospitals",
        "manufacturers",
        "retailers",
        "lenders",
        "utilities",
        "agencies",
        "companies",
        "firms",
        "organisations",
        "organizations",
    ]
)
PAIN_STEMS = [
    "manual",
    "slow",
    "delay",
    "backlog",
    "cost",
    "expensive",
    "risk",
    "error",
    "fail",
    "struggl",
    "spend",
    "waste",
    "churn",
    "downtime",
    "outage",
    "bottleneck",
    "complian",
    "audit",
    "fragment",
    "silo",
    "legacy",
    "cannot",
]
OUTCOME_STEMS = [
    "cut",
    "reduc",
    "increas",
    "improv",
    "faster",
    "sav",
    "grow",
    "lower",
    "rais",
    "boost",
    "accelerat",
    "halv",
    "doubl",
    "eliminat",
    "shorten",
]
# Patterns that start with a digit or a currency sign: the regex engine skips to those characters fast.
MEASURE = re.compile(
    r"\d[\d,.]*(?:%| ?(?:percent|x|times|days?|weeks?|months?|quarters?|hours?|hrs?|minutes?|mins?|seconds?|"
    r"k|m|million|bn|usd|eur|gbp|fte)\b)"
)
CURRENCY = re.compile(r"[$€£] ?\d[\d,.]*k?")
THOUSANDS = re.compile(r"\d[\d,.]* ?k\b")
SPAN = re.compile(r"\d+[- ]?(?:weeks?|days?|months?)\b")
ENTRY_WORDS = frozenset(
    [
        "assessment",
        "pov",
        "poc",
        "pilot",
        "workshop",
        "sprint",
        "migration",
        "implementation",
        "onboarding",
        "review",
        "jumpstart",
        "quickstart",
        "marketplace",
        "listing",
        "trial",
        "accelerator",
    ]
)
ENTRY_PHRASES = ("proof of value", "proof of concept", "private offer", "quick start")
REFERENCE_PHRASES = (
    "named reference",
    "reference call",
    "reference available",
    "case study",
    "logo use",
    "testimonial",
)
CUSTOMER_WORDS = frozenset(
    [
        "insurer",
        "insurers",
        "bank",
        "banks",
        "hospital",
        "hospitals",
        "retailer",
        "retailers",
        "manufacturer",
        "manufacturers",
        "utility",
        "utilities",
        "agency",
        "agencies",
        "university",
        "universities",
        "telco",
        "telcos",
        "lender",
        "lenders",
        "payer",
        "payers",
        "customer",
        "customers",
        "client",
        "clients",
    ]
)
COUNTERS = frozenset({"a", "an", "one", "two", "three", "four", "five"})
NO_REFERENCE = ("customer not asked yet", "cannot be referenced")


def _by_prefix(stems: Iterable[str]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for stem in stems:
        index.setdefault(stem[:3], []).append(stem)
    return {k: tuple(v) for k, v in index.items()}


INDUSTRY_INDEX, PAIN_INDEX, OUTCOME_INDEX = (_by_prefix(s) for s in (INDUSTRY_STEMS, PAIN_STEMS, OUTCOME_STEMS))


class Text:
    """One answer's words, split once and checked many times."""

    __slots__ = ("answers", "lower", "words", "vocab", "_industries")

    def __init__(self, answers: Mapping[str, Any], text: str | None = None):
        self.answers = answers
        self.lower = (text if text is not None else text_of(answers)).lower()
        self.words = WORD.findall(self.lower)
        self.vocab = frozenset(self.words)
        self._industries: set[str] | None = None


def text_of(answers: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for value in answers.values():
        if isinstance(value, list | tuple):
            parts.extend(str(v) for v in value)
        elif isinstance(value, str):
            parts.append(value)
    return " \n ".join(parts)


def _stem(t: Text, index: dict[str, tuple[str, ...]]) -> str | None:
    for word in t.words:
        for stem in index.get(word[:3], ()):
            if word.startswith(stem):
                return word
    return None


def _word(t: Text, words: frozenset[str]) -> str | None:
    found = t.vocab & words
    return min(found, key=t.words.index) if found else None


def _found(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(0) if match else None


def _phrase(t: Text, phrases: Iterable[str]) -> str | None:
    return next((p for p in phrases if p in t.lower), None)


def industries(t: Text) -> set[str]:
    if t._industries is None:  # the messaging check asks for the ICP's several times
        found = {INDUSTRY_STEMS[s] for w in t.vocab for s in INDUSTRY_INDEX.get(w[:3], ()) if w.startswith(s)}
        t._industries = found | {label for phrase, label in INDUSTRY_PHRASES.items() if phrase in t.lower}
    return t._industries


def industry(t: Text) -> str | None:
    return _stem(t, INDUSTRY_INDEX) or _phrase(t, INDUSTRY_PHRASES)


def size_band(t: Text) -> str | None:
    for key, value in t.answers.items():
        if "size" in key and isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return f"{value:g} employees"
    return _phrase(t, SIZE_PHRASES) or _word(t, SIZE_WORDS)


def buyer_role(t: Text) -> str | None:
    return _word(t, ROLE_WORDS)


def buyer(t: Text) -> str | None:
    if role := buyer_role(t):
        return role
    words = t.words
    for i, word in enumerate(words):
        if word == "for":
            audience = next((w for w in words[i + 1 : i + 6] if w in AUDIENCE_WORDS), None)
            if audience:
                return f"for ... {audience}"
    return None


def pain(t: Text) -> str | None:
    return _stem(t, PAIN_INDEX) or _phrase(t, ("too long", "can't"))


def _number_with(t: Text, units: re.Pattern[str]) -> str | None:
    found = units.search(t.lower) or CURRENCY.search(t.lower)
    return found.group(0) if found else None


def measured(t: Text) -> str | None:
    return _number_with(t, MEASURE)


def outcome(t: Text) -> str | None:
    return _stem(t, OUTCOME_INDEX) or measured(t)


def scope_or_price(t: Text) -> str | None:
    for key, value in t.answers.items():
        if "duration" in key and isinstance(value, int | float) and value > 0:
            return f"{value:g} week(s)"
    price = _number_with(t, THOUSANDS)
    return (
        price or _found(SPAN, t.lower) or _phrase(t, ("per month", "per user", "per year", "fixed fee", "deliverable"))
    )


def entry_point(t: Text) -> str | None:
    return _word(t, ENTRY_WORDS) or _phrase(t, ENTRY_PHRASES)


def customer(t: Text) -> str | None:
    for key, value in t.answers.items():
        if key.startswith("customer_name") and isinstance(value, str) and value.strip():
            return value.strip()
        if key.startswith("reference") and isinstance(value, str) and value.strip().lower() not in NO_REFERENCE:
            return value.strip()
        if "customers" in key and isinstance(value, int | float) and value > 0:
            return f"{value:g} customers"
    if phrase := _phrase(t, REFERENCE_PHRASES):
        return phrase
    words = t.words
    for i, word in enumerate(words):
        if word in CUSTOMER_WORDS and any(w in COUNTERS or w[0].isdigit() for w in words[max(i - 4, 0) : i]):
            return " ".join(words[max(i - 4, 0) : i + 1])
    return None
