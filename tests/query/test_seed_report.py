"""The seed case: DGSN's 2021 history imported, then `bot report --year 2021` as published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli

SEED = Path(__file__).parents[1] / "fixtures" / "seed" / "dgsn-maroc-2021.csv"


def test_seed_annual_report(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accounts.toml").write_text('[bot]\ntimezone = "Africa/Casablanca"\n')
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    imported = run_cli(capsys, "import", str(SEED))
    assert imported.code == 0, imported.err
    result = run_cli(capsys, "report", "--year", "2021", "-f", "json")
    lines = {a["platform"]: a for a in json.loads(result.out)["accounts"]}
    x, facebook = lines["x"], lines["facebook"]
    assert (x["handle"], x["start"]["followers"], x["end"]["followers"]) == (
        "DGSN_MAROC",
        226482,
        317074,
    )
    assert x["followers_growth_pct"] == 40.0 and x["posts_in_period"] == 1061
    assert facebook["start"]["followers"] == 191903 and facebook["end"]["followers"] == 282638
    assert facebook["followers_growth_pct"] == 47.28 and facebook["posts_in_period"] is None
    table = run_cli(capsys, "report", "--year", "2021").out
    assert "+40.00%" in table and "+47.28%" in table and "1,061" in table
