"""The dashboard's test world: the seed, labels in two scripts, daily figures and a glitch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings, load_settings
from bot.io.load import import_history
from bot.kinds import Quality
from bot.output.text import API
from bot.query import corrections, words
from bot.store.accounts import sync_accounts
from bot.store.corrections import Audit, Change

SEED = Path(__file__).parents[1] / "fixtures" / "seed" / "dgsn-maroc-2021.csv"
TOKEN = "dash-Secret-9b2e"
NOW = datetime(2022, 1, 16, 12, tzinfo=UTC)
ARABIC = "المديرية العامة للأمن الوطني"
FRENCH = "Sûreté nationale <DGSN> & co"
GLITCH_DAY = date(2022, 1, 8)
CONFIG = f"""
[bot]
timezone = "Africa/Casablanca"
milestones = [100000, 250000, 300000, 320000, 500000]

[[accounts]]
platform = "x"
handle = "DGSN_MAROC"
label = "{ARABIC}"
groups = ["dgsn", "national"]

[[accounts]]
platform = "facebook"
handle = "DGSN.MAROC"
label = "{FRENCH}"
groups = ["dgsn"]
"""


def daily_rows() -> str:
    """X gaining 120 a day from 12 Dec 2021 to 14 Jan 2022 (the seed's 31 Dec kept); 0 on 8 Jan."""
    lines = []
    for n in range(-19, 15):
        day = date(2022, 1, 1) + timedelta(days=n - 1)
        if day == date(2021, 12, 31):
            continue
        followers = 0 if day == GLITCH_DAY else 317_074 + 120 * n
        lines.append(f"x,DGSN_MAROC,{day}T10:00:00Z,{followers},322,{11_315 + 2 * n}")
    return "\n".join(lines)


def seed_dashboard(engine: Engine, folder: Path, *, token: str | None = TOKEN) -> Settings:
    """Settings (token, labels, Africa/Casablanca) over the seed plus January's daily figures."""
    config = folder / "accounts.toml"
    config.write_text(CONFIG, encoding="utf-8")
    environ = {"X_BEARER_TOKEN": "x-token-unused", "FACEBOOK_ACCESS_TOKEN": "fb-token-unused"}
    if token is not None:
        environ["BOT_API_TOKEN"] = token
    settings = load_settings(config, environ=environ)
    with Session(engine) as session:
        sync_accounts(session, settings, NOW - timedelta(days=400))
        session.commit()
    import_history(engine, settings, SEED, NOW)
    extra = folder / "daily.csv"
    extra.write_text("platform,handle,captured_at,followers,following,posts\n" + daily_rows())
    import_history(engine, settings, extra, NOW)
    # The quality gate would flag the 0 at once; an import keeps it, so mark it as the gate would.
    glitch = words.snapshot_time(f"{GLITCH_DAY}T10:00:00Z", settings.timezone, API)
    audit = Audit("test", None, NOW)
    corrections.correct(
        engine,
        "x:DGSN_MAROC",
        glitch,
        Change.mark(Quality.SUSPECT),
        audit,
        tz=settings.timezone,
        spell=API,
    )
    return settings
