"""``bot import``: a validated history file written in one transaction, idempotently."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.io.mapped import ColumnMap, read_mapped_file
from bot.io.native import read_import_file
from bot.kinds import Quality, Source
from bot.platforms import REGISTRY
from bot.store.accounts import get_or_create
from bot.store.corrections import Audit
from bot.store.tables import chunks
from bot.store.writes import count_snapshots, insert_snapshots

BATCH = 1000


def _normalize(platform: str, handle: str) -> str:
    """The registry's handle rules, for the importer."""
    return REGISTRY[platform].normalize_handle(handle)


class ImportCounts(NamedTuple):
    """What an import did: rows read, snapshots added, stored ones replaced (``--replace``)."""

    read: int
    added: int
    replaced: int = 0


def import_history(
    engine: Engine,
    settings: Settings,
    path: Path,
    now: datetime,
    mapping: ColumnMap | None = None,
    replace: Audit | None = None,
) -> ImportCounts:
    """Import ``path``. Re-importing adds nothing; ``replace`` overwrites values that differ."""
    if mapping is not None:
        rows = read_mapped_file(path, mapping, tz=settings.timezone, normalize=_normalize)
    else:
        rows = read_import_file(
            path, tz=settings.timezone, platforms=REGISTRY, normalize=_normalize
        )
    with Session(engine) as session:
        ids: dict[tuple[str, str], int] = {}
        for key in sorted({(r.platform, r.handle) for r in rows}):
            any_case = REGISTRY[key[0]].handle_any_case(key[1])
            account = get_or_create(session, key[0], key[1], now, any_case=any_case)
            ids[key] = account.id or 0
        connection = session.connection()
        # Counting before and after is cheaper than RETURNING every new id on PostgreSQL.
        before = count_snapshots(connection, list(ids.values()))
        replaced = 0
        for batch in chunks(rows, BATCH):
            replaced += insert_snapshots(
                connection,
                [
                    {
                        "account_id": ids[(r.platform, r.handle)],
                        "captured_at": r.captured_at,
                        "followers": r.followers,
                        "following": r.following,
                        "posts": r.posts,
                        "extra": None,
                        "precision": r.precision,
                        "source": Source.IMPORT,
                        "quality": Quality.OK,
                    }
                    for r in batch
                ],
                replace=replace,
            )
        added = count_snapshots(connection, list(ids.values())) - before
        session.commit()
    return ImportCounts(len(rows), added, replaced)
