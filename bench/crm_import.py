"""Import a CRM opportunity export (Salesforce format) of N rows into a program of P partners and print
rows/s, on SQLite and Postgres.

    .venv/bin/python -m bench.crm_import [--rows 20000 --partners 1000 --db sqlite,postgres]

The baseline, measured in the same run, reads and checks the same file's rows without the database
(domain.crm_deals.read_rows: the CSV, stages, amounts, dates), so the ratio is what matching and
writing cost over reading. A second import of the same file (every row found unchanged, nothing
written) is timed too. The goal is at least 2,000 rows/s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import tempfile
import time
from pathlib import Path

from api.after_commit import AfterCommit
from api.deals import crm_import
from api.deals.service import News
from bench.progress import _database, _drop
from db.migrate import upgrade
from db.session import make_engine, make_sessionmaker, transaction
from domain.crm_deals import FORMATS, read_rows
from embedded import publish_shipped
from tests.factories import create_cohort, partner

HEADER = '"Opportunity Owner","Account Name","Opportunity Name","Stage","Amount","Close Date","Opportunity ID",'
HEADER += '"Account ID","Primary Partner","Partner ID"\n'
STAGES = ("Prospecting", "Qualification", "Negotiation/Review", "Closed Won", "Closed Lost")


def export(rows: int, partners: int, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = [HEADER]
    for i in range(rows):
        p = rng.randrange(partners)
        account = f"Account {rng.randrange(rows * 2):07d}"
        lines.append(
            f'"Dana Whitfield","{account}","{account} - Platform","{rng.choice(STAGES)}","{rng.randint(5, 500)}000",'
            f'"{rng.randint(1, 12)}/{rng.randint(1, 28)}/2026","006BENCH{i:010d}","001BENCH{i:010d}",'
            f'"Bench Partner {p:05d}","BP-{p:05d}"\n'
        )
    return "".join(lines).encode()


async def one(kind: str, rows: int, partners: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = await _database(kind, Path(tmp))
        engine = make_engine(url)
        try:
            await upgrade(engine)
            sessions = make_sessionmaker(engine)
            await publish_shipped(sessions)
            members = [partner(f"Bench Partner {p:05d}", external_id=f"BP-{p:05d}") for p in range(partners)]
            await create_cohort(sessions, members)
            data = export(rows, partners, seed)

            started = time.perf_counter()
            parsed, problems = read_rows(io.BytesIO(data), FORMATS["salesforce"], None)
            read = time.perf_counter() - started
            assert not problems and len(parsed) == rows, problems[:3]

            timings = []
            for _ in range(2):
                started = time.perf_counter()
                async with transaction(sessions) as session:
                    news = News(session, AfterCommit(), "outbox")
                    result, _closed = await crm_import.run(
                        news, io.BytesIO(data), "bench.csv", "Test program", "salesforce", None
                    )
                timings.append((time.perf_counter() - started, result))
            (first, r1), (again, r2) = timings
            assert r1.created == rows and r2.unchanged == rows, (r1, r2)
            print(f"{kind:<8} {rows:,} rows, {partners:,} partners")
            print(f"  baseline  read and check the rows  {rows / read:>10,.0f} rows/s ({read:.2f} s)")
            print(f"  import    first time (creates)     {rows / first:>10,.0f} rows/s ({first:.2f} s)  goal >= 2,000")
            print(f"  import    again (all unchanged)    {rows / again:>10,.0f} rows/s ({again:.2f} s)")
            print(
                f"  ratio     import costs {first / read:.1f}x reading (first), {again / read:.1f}x (again)", flush=True
            )
        finally:
            await engine.dispose()
            if pg_name:
                await _drop(pg_name)


async def main(rows: int, partners: int, dbs: list[str], seed: int) -> None:
    for kind in dbs:
        await one(kind, rows, partners, seed)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--partners", type=int, default=1_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.partners, args.db.split(","), args.seed))
