"""`bot report -f html`: one printable document with the sentences, group totals and charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.helpers.cli import run_cli
from tests.helpers.dashboard import ARABIC, seed_dashboard


def test_report_html_is_a_printable_document(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
) -> None:
    seed_dashboard(engine, tmp_path)
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("X_BEARER_TOKEN", "unused")
    monkeypatch.setenv("FACEBOOK_ACCESS_TOKEN", "unused")
    result = run_cli(capsys, "report", "--year", "2021", "-f", "html")
    assert result.code == 0, result.err
    page = result.out
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "@page { size: A4" in page and "@media print" in page
    assert "<h1>Annual report 2021</h1>" in page
    assert "317,074 followers on 31 Dec 2021, +90,592 (+40.00%) on a year before" in page
    assert "599,712" in page  # the dgsn group's total
    assert page.count('<svg class="chart"') == 2  # one chart per account
    assert f"<bdi>{ARABIC}</bdi> (@DGSN_MAROC)" in page  # the label keeps its own direction
    assert "&lt;DGSN&gt;" in page and "<DGSN>" not in page  # the French label, escaped
    # Nothing to fetch: no external script, stylesheet or image.
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page


def test_report_html_is_refused_for_nothing_but_known_formats(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "report", "--year", "2021", "-f", "pdf")
    assert result.code == 2
    assert "html" in result.err and "Traceback" not in result.err
