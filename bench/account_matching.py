"""Match 100,000 vendor accounts against 5,000 partner accounts and print time and rate.

    .venv/bin/python -m bench.account_matching [--vendors 100000 --partners 5000 --db]

Data is generated with a fixed seed: ~60% of accounts carry a website; partner rows are exact copies,
domain variants (scheme, www., paths, emails), name variants (legal suffixes, case, punctuation),
small typos, near misses (same first word, different company), personal email domains, and accounts
the vendor does not have. The baseline, measured in the same run, is a naive
`rapidfuzz.process.extractOne` over all vendor names for a sample, extrapolated to the whole list.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

from rapidfuzz import fuzz, process

from domain.account_lists import ParsedAccount
from domain.accounts import NAME_THRESHOLD, AccountRef, VendorIndex, name_key, normalize_domain


def _words(text: str) -> list[str]:
    return text.split()


SYLLABLES = _words(
    "ac me glo bex con to so fab ri kam lit ware north wind wood tail spin pro se ware woo grove ad ven ture "
    "tre y re search co ho wi ne ry lu cer na bel lows al pine cas ca de ze phyr ori on vec tor nim bus kes trel "
    "ha ven mar lin quan ta sol ara tek nova ver da mon te sil ver ra ven sto ne bri dge har bor"
)
WORDS = _words(
    "Systems Solutions Analytics Logistics Health Pharmaceuticals Energy Capital Bank Retail Foods Media Labs "
    "Networks Robotics Insurance Partners Consulting Manufacturing Industries Software Cloud Security Mobility"
)
SUFFIXES = ("Inc.", "Inc", "LLC", "Ltd", "GmbH", "Corp.", "Corporation", "AG", "S.A.", "plc", "B.V.", "")
TLDS = ("com", "com", "com", "io", "net", "de", "co.uk", "fr", "ca")
PUBLIC = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.co.uk", "gmx.de", "web.de", "icloud.com")


def company(rng: random.Random) -> tuple[str, str]:
    stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
    words = [stem] + rng.sample(WORDS, rng.randint(0, 2))
    slug = "".join(w.lower() for w in words[: rng.randint(1, len(words))])
    return " ".join(words), f"{slug}.{rng.choice(TLDS)}"


def vendor_accounts(rng: random.Random, n: int) -> list[AccountRef]:
    accounts = []
    for i in range(n):
        name, domain = company(rng)
        suffix = rng.choice(SUFFIXES)
        website = f"https://www.{domain}/" if rng.random() < 0.6 else ""
        full = f"{name} {suffix}".strip()
        accounts.append(AccountRef(f"v{i}", full, normalize_domain(website) if website else None, name_key(full)))
    return accounts


def partner_accounts(
    rng: random.Random, vendors: list[AccountRef], n: int
) -> tuple[list[ParsedAccount], dict[int, tuple[str, str]]]:
    """The partner rows, and per line what it was generated as and from which vendor account."""
    rows: list[ParsedAccount] = []
    truth: dict[int, tuple[str, str]] = {}
    for line in range(2, n + 2):
        roll = rng.random()
        source = rng.choice(vendors)
        base = source.name.rsplit(" ", 1)[0] if " " in source.name else source.name
        if roll < 0.25 and source.domain:  # same company, website written differently
            truth[line] = ("domain variant", source.ref)
            domain = rng.choice([f"http://{source.domain}/contact", f"WWW.{source.domain.upper()}", source.domain])
            rows.append(ParsedAccount(line, base.upper(), normalize_domain(domain)))
        elif roll < 0.45:  # same company, name variant, no website
            truth[line] = ("name variant", source.ref)
            rows.append(ParsedAccount(line, f"{base}, {rng.choice(SUFFIXES)}".rstrip(", "), None))
        elif roll < 0.55:  # a one-letter typo
            truth[line] = ("typo", source.ref)
            i = rng.randrange(len(base))
            rows.append(ParsedAccount(line, base[:i] + base[i + 1 :], None))
        elif roll < 0.65:  # a near miss: same first word, another company
            truth[line] = ("near miss", "")
            first = source.name.split(" ")[0]
            rows.append(ParsedAccount(line, f"{first} {rng.choice(WORDS)} {rng.choice(WORDS)}", None))
        elif roll < 0.72:  # a person's mailbox at a public provider, with the company name
            truth[line] = ("public email", "")
            name, _ = company(rng)
            rows.append(ParsedAccount(line, name, None if rng.random() < 0.5 else normalize_domain(rng.choice(PUBLIC))))
        else:  # the vendor does not have this account
            truth[line] = ("not at vendor", "")
            name, domain = company(rng)
            rows.append(ParsedAccount(line, name, normalize_domain(domain) if rng.random() < 0.6 else None))
    return rows, truth


def baseline_per_account(vendors: list[AccountRef], partners: list[ParsedAccount], sample: int) -> float:
    """Seconds per partner account for a naive extractOne over every vendor name (no blocking)."""
    choices = [v.name_key for v in vendors]
    started = time.perf_counter()
    for account in partners[:sample]:
        process.extractOne(name_key(account.name), choices, scorer=fuzz.ratio, score_cutoff=NAME_THRESHOLD)
    return (time.perf_counter() - started) / sample


async def time_database(vendors: list[AccountRef], partners: list[ParsedAccount]) -> tuple[float, int]:
    """replace_partner_accounts for the whole partner list against the vendor rows, in SQLite."""
    from sqlalchemy import insert

    from db.cosell_models import VendorAccount
    from db.migrate import upgrade
    from db.models import Partner
    from db.repositories.accounts import replace_partner_accounts
    from db.session import make_engine, make_sessionmaker, transaction

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await upgrade(engine)
        sessions = make_sessionmaker(engine)
        async with transaction(sessions) as session:
            session.add(Partner(id="bench-partner", name="Bench Partner", type="SI"))
            rows = [
                {"id": v.ref, "crm_id": v.ref, "source": "mapped", "name": v.name, "name_key": v.name_key,
                 "domain": v.domain}
                for v in vendors
            ]  # fmt: skip
            for start in range(0, len(rows), 5000):
                await session.execute(insert(VendorAccount), rows[start : start + 5000])
        started = time.perf_counter()
        async with transaction(sessions) as session:
            overlapping = await replace_partner_accounts(session, "bench-partner", partners)
        elapsed = time.perf_counter() - started
        await engine.dispose()
    return elapsed, overlapping


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vendors", type=int, default=100_000)
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=20250301)
    parser.add_argument("--baseline-sample", type=int, default=100)
    parser.add_argument("--db", action="store_true", help="also time replace_partner_accounts in SQLite")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    vendors = vendor_accounts(rng, args.vendors)
    partners, truth = partner_accounts(rng, vendors, args.partners)
    refs = [AccountRef(a.line, a.name, a.domain) for a in partners]

    started = time.perf_counter()
    index = VendorIndex(vendors)
    built = time.perf_counter() - started
    started = time.perf_counter()
    matches = index.match(refs)
    matched = time.perf_counter() - started

    by_key = Counter(m.key for m in matches)
    per_account = baseline_per_account(vendors, partners, args.baseline_sample)
    naive_total = per_account * len(partners)
    print(f"vendor accounts {len(vendors):,}, partner accounts {len(partners):,} (seed {args.seed})")
    print(f"index build      {built:8.2f} s")
    print(f"match            {matched:8.2f} s  = {len(partners) / matched:,.0f} partner accounts/s")
    print(f"fuzzy pairs      {index.pairs_considered:,} considered (of {len(partners) * len(vendors):,} possible)")
    print(f"matches          {len(matches):,}: " + ", ".join(f"{k} {n:,}" for k, n in sorted(by_key.items())))
    print(
        f"baseline         naive extractOne over all names: {per_account * 1000:.1f} ms/account on "
        f"{args.baseline_sample} accounts -> {naive_total:,.0f} s for all; blocked index is "
        f"{naive_total / (built + matched):,.0f}x faster (names only, no domain pass)"
    )
    # Generated data can collide by chance (a "near miss" that is another real vendor account), so
    # "matched" for non-overlapping kinds is an upper bound on false matches, not an exact count.
    kinds = Counter(kind for kind, _ in truth.values())
    matched_kind = Counter(truth[m.partner_ref][0] for m in matches)
    right = Counter(truth[m.partner_ref][0] for m in matches if truth[m.partner_ref][1] == m.vendor_ref)
    for kind, total in sorted(kinds.items()):
        print(f"  {kind:14} {total:5,} rows, {matched_kind[kind]:5,} matched, {right[kind]:5,} to the source account")
    if args.db:
        elapsed, overlapping = asyncio.run(time_database(vendors, partners))
        print(f"database         replace_partner_accounts (SQLite): {elapsed:.2f} s, {overlapping:,} overlapping")


if __name__ == "__main__":
    main()
