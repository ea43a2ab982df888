"""No configured secret in any log line, error, stored row, metric or status output."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, select
from sqlmodel import Session

from bot.clock import ManualClock
from bot.config import load_settings
from bot.daemon.logs import configure
from bot.daemon.metrics import Metrics
from bot.daemon.scheduler import tick
from bot.daemon.status import status
from bot.http.client import make_client
from bot.http.redact import Redactor
from bot.output.text import plain
from bot.platforms import ADAPTERS
from bot.store.accounts import sync_accounts
from tests.helpers.daemon import make_runtime
from tests.helpers.simulator import running_simulator
from tests.platforms.test_every_platform import write_config

T0 = datetime(2025, 6, 1, tzinfo=UTC)
# Shaped like a Telegram bot token (digits:secret), which every platform accepts here.
SECRETS = {
    a.token_env: f"{700 + i}:Zq{a.name.upper()}SeCrEt{i}x9"
    for i, a in enumerate(ADAPTERS)
    if a.token_env
}


def needles() -> set[str]:
    """Each secret and its secret half (the client secret of an id:secret pair)."""
    found = set(SECRETS.values())
    found |= {value.partition(":")[2] for value in SECRETS.values()}
    return found


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The daemon's real logging setup, writing into a buffer at DEBUG."""
    buffer = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure("json", Redactor(SECRETS.values()), level=logging.DEBUG, stream=buffer)
    try:
        yield buffer
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


async def run(engine: Engine, tmp_path: Path) -> tuple[list[str], str]:
    clock = ManualClock(T0)
    async with running_simulator(clock) as (simulator, base):
        config = write_config(tmp_path / "all.toml", base)
        # YouTube (key in the query) at a closed port: the connection error must not quote the URL.
        text = config.read_text().replace(
            f'[platforms.youtube]\nbase_url = "{base}"',
            '[platforms.youtube]\nbase_url = "http://127.0.0.1:9"',
        )
        config.write_text(text)
        settings = load_settings(config, environ=SECRETS)
        with Session(engine) as session:
            sync_accounts(session, settings, clock())
        runtime, _ = make_runtime(settings, clock)
        telegram = SECRETS["TELEGRAM_BOT_TOKEN"]
        simulator.inject("/2/users/by", "503", times=3)
        simulator.inject(f"/bot{telegram}/getChat", "malformed")
        simulator.inject("/v21.0/", "429")
        metrics = Metrics()
        messages: list[str] = []
        async with make_client() as client:
            for _ in range(3):
                results = await tick(engine, settings, client, runtime, metrics=metrics)
                messages += [r.message or "" for r in results]
                clock.advance(timedelta(hours=7))
    return messages, metrics.render().decode()


def dump(engine: Engine) -> str:
    """Every row of every table, as text."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(
            repr(row) for table in meta.sorted_tables for row in connection.execute(select(table))
        )


# SQLite cannot reflect the expression index (migration 0009); the columns are what is read.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_no_secret_anywhere(engine: Engine, tmp_path: Path, logs: io.StringIO) -> None:
    messages, metrics_text = asyncio.run(run(engine, tmp_path))
    settings = load_settings(tmp_path / "all.toml", environ=SECRETS)
    report = json.dumps(plain(status(engine, settings, T0 + timedelta(days=1))))
    outputs = {
        "log": logs.getvalue(),
        "messages": "\n".join(messages),
        "database": dump(engine),
        "metrics": metrics_text,
        "status": report,
    }
    # The run did exercise failures, and the outputs are not empty.
    assert any("failed" in m or "HTTP" in m or "connection" in m for m in messages)
    assert "youtube" in outputs["metrics"] and "bot_polls_total" in outputs["metrics"]
    assert outputs["log"].count("\n") > 5
    for name, text in outputs.items():
        for secret in needles():
            assert secret not in text, f"a secret leaked into the {name}"
