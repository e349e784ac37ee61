"""The API stage's fill at a tiny size (no broker): imported rows plus SQL replicas that keep
every unique column unique, every region code real and the migrations' indexes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter

from bench.api import fill
from bench.samples.generate import villages_of


def test_fill_imports_a_slice_and_replicates_the_rest(tmp_path):
    db = tmp_path / "registry.db"
    result = asyncio.run(fill(db, 1_000, province="35", imported=150))

    assert (result["volunteers"], result["imported"], result["replicated"]) == (1_000, 150, 850)
    villages = villages_of("35")
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT id, nik_hash, nik_encrypted, village_code, district_code, regency_code, "
            "province_code, registered_at FROM volunteers ORDER BY rowid"
        ).fetchall()
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        outbox = conn.execute("SELECT count(*), sum(published_at IS NULL) FROM outbox").fetchone()
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert len(rows) == 1_000
    assert len({r[0] for r in rows}) == 1_000 and all(len(r[0]) == 32 for r in rows)
    assert len({r[1] for r in rows}) == 1_000
    # the lookup key's id, then 64 hex digits (imported rows and replicas alike)
    assert all(r[1].startswith("h1:") and len(r[1]) == 67 for r in rows)
    assert all(r[2] for r in rows)  # every replica carries a (source's) encrypted NIK
    # row g gets the village the sample generator gives row g, with its parent codes
    assert [r[3] for r in rows] == [villages[g % len(villages)] for g in range(1_000)]
    assert all((r[4], r[5], r[6]) == (r[3].rsplit(".", 1)[0], r[3][:5], r[3][:2]) for r in rows)
    assert Counter(r[7][:10] for r in rows[150:]).most_common(1)[0][1] == 150  # a day per copy
    assert {
        "ix_volunteers_regency_registered",
        "ix_volunteers_regency_status",
        "ix_volunteers_village_code",
        "ix_volunteers_registered",
    } <= indexes
    assert outbox == (150, 0)  # the imported slice's events, all marked published
    assert journal == "wal"
