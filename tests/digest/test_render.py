"""Golden tests of the digest renderers over the fixed history of tests/digest_history.py.

Golden files live in tests/fixtures/digest/ (one per format for 2024-03-31, the JSON of the leap
day 2024-02-29, text and Markdown of the week 25-31 March 2024 and of March 2024; JSON ones end
in .json.golden, since fixtures/*/*.json are platform recordings),
and the sample digest in docs/ (sample-digest.md and sample-digest.html) is
checked against them. After an intended change, regenerate all of them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q -p no:cacheprovider tests/digest/test_render.py
    .venv/bin/python scripts/render-digest-png docs/sample-digest.html docs/sample-digest.png

The HTML golden references its charts as ``cid:chart-N`` and draws them with a stand-in chart
function (PNG bytes depend on the matplotlib and FreeType versions); real charts are tested apart.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.digest import Digest, build_digest, compose, render_digest, render_html
from bot.digest.render_html import HtmlDigest
from bot.store.db import make_engine, migrate
from tests.helpers import digest_history
from tests.helpers.cli import run_cli

ROOT = Path(__file__).parents[2]
GOLDEN = Path(__file__).parents[1] / "fixtures" / "digest"
DOCS = ROOT / "docs"
SCRIPT = ROOT / "scripts" / "render-digest-png"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
PNG = b"\x89PNG\r\n\x1a\n"


def fake_chart(points: Any, *, title: str, **_: Any) -> bytes:
    """A stand-in chart: the golden HTML must not depend on matplotlib's pixels."""
    return PNG + f"{title}: {len(points)} points".encode()


def check(name: str, text: str, *, write: bool = True) -> None:
    """Compare with the golden file, or rewrite it when UPDATE_GOLDEN=1."""
    path = GOLDEN / name
    if UPDATE and write:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path} differs (see the module docstring)"


@pytest.fixture
def digest(engine: Engine) -> Digest:
    settings = digest_history.load(engine)
    return build_digest(engine, settings, date(2024, 3, 31))


@pytest.fixture(scope="module")
def sqlite_digest(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    """The same digest from SQLite only, once: for tests of rendering alone."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('digest') / 'bot.db'}")
    migrate(engine)
    settings = digest_history.load(engine)
    try:
        return build_digest(engine, settings, date(2024, 3, 31))
    finally:
        engine.dispose()


def first_run(engine: Engine) -> bool:
    """Golden files are rewritten once, by the SQLite run; PostgreSQL must agree with them."""
    return engine.dialect.name == "sqlite"


def test_text_golden(engine: Engine, digest: Digest) -> None:
    text = render_digest(digest, "text")
    check("2024-03-31.txt", text, write=first_run(engine))
    assert "+53.82%" in text and "100,075" in text and "▁" in text


def test_markdown_golden(engine: Engine, digest: Digest) -> None:
    check("2024-03-31.md", render_digest(digest, "markdown"), write=first_run(engine))


def test_html_golden(engine: Engine, digest: Digest) -> None:
    page = render_html(digest, chart=fake_chart)
    check("2024-03-31.html", page.html, write=first_run(engine))
    assert set(page.images) == set(re.findall(r'src="cid:([^"]+)"', page.html))
    assert "<script" not in page.html and "max-width:640px" in page.html


def test_json_golden(engine: Engine, digest: Digest) -> None:
    text = render_digest(digest, "json")
    check("2024-03-31.json.golden", text, write=first_run(engine))
    document = json.loads(text)
    assert list(document)[:3] == ["date", "timezone", "at"]
    for key in ("accounts", "milestones", "anomalies", "failures"):
        assert key in document
    account = document["accounts"][0]
    for key in ("platform", "handle", "label", "followers", "posts", "status"):
        assert key in account
    for key in ("change", "growth_pct", "posts_change"):
        assert list(account[key]) == ["1d", "7d", "30d", "365d"]
    assert list(document["milestones"][0])[:4] == ["platform", "handle", "label", "milestone"]
    assert document["milestones"][0]["crossed_at"] == "2024-03-30T23:30:00Z"


@pytest.mark.parametrize(("period", "name"), [("week", "weekly"), ("month", "monthly")])
def test_weekly_and_monthly_goldens(engine: Engine, period: str, name: str) -> None:
    """The week and the month ending on Sunday 31 March 2024, given any day in them."""
    settings = digest_history.load(engine)
    digest = build_digest(engine, settings, date(2024, 3, 27), period=period)
    assert digest.day == date(2024, 3, 31) and digest.period == period
    text = render_digest(digest, "text")
    markdown = render_digest(digest, "markdown")
    check(f"2024-03-31-{name}.txt", text, write=first_run(engine))
    check(f"2024-03-31-{name}.md", markdown, write=first_run(engine))
    headline = "7d" if period == "week" else "30d"
    # The headline window is the first column after the followers, and bold in Markdown.
    assert re.search(rf"^Account +Followers +{headline} ", text, re.MULTILINE)
    bold = "**7 days**" if period == "week" else "**30 days**"
    assert f"| Account | Followers | {bold} |" in markdown
    title = (
        "Weekly digest, 25\u201331 March 2024" if period == "week" else "Monthly digest, March 2024"
    )
    assert text.startswith(title + "\n") and markdown.startswith(f"# {title}\n")
    document = json.loads(render_digest(digest, "json"))
    assert (document["date"], document["period"]) == ("2024-03-31", period)
    assert document["from"] == ("2024-03-25" if period == "week" else "2024-03-01")
    page = render_html(digest, chart=fake_chart)
    assert f"<title>{title}</title>" in page.html
    assert compose(digest).title == title


def test_daily_json_has_no_period(sqlite_digest: Digest) -> None:
    """A daily document is unchanged: no period, no from."""
    document = json.loads(render_digest(sqlite_digest, "json"))
    assert "period" not in document and "from" not in document


def test_leap_day_json_golden(engine: Engine) -> None:
    settings = digest_history.load(engine)
    digest = build_digest(engine, settings, date(2024, 2, 29))
    check("2024-02-29.json.golden", render_digest(digest, "json"), write=first_run(engine))


def test_sample_digest_in_docs(engine: Engine, digest: Digest) -> None:
    """docs/sample-digest.md and .html are this digest (the HTML with real charts)."""
    markdown = render_digest(digest, "markdown")
    if UPDATE and first_run(engine):
        DOCS.mkdir(exist_ok=True)
        (DOCS / "sample-digest.md").write_text(markdown, encoding="utf-8")
        (DOCS / "sample-digest.html").write_text(render_html(digest).standalone(), "utf-8")
    assert (DOCS / "sample-digest.md").read_text(encoding="utf-8") == markdown
    html = (DOCS / "sample-digest.html").read_text(encoding="utf-8")
    count = iter(range(1, 1000))
    as_cid = re.sub(
        r'src="data:image/png;base64,[^"]+"', lambda _: f'src="cid:chart-{next(count)}"', html
    )
    assert as_cid == render_html(digest, chart=fake_chart).html


@pytest.mark.slow
def test_real_charts_are_pngs(sqlite_digest: Digest) -> None:
    page = render_html(sqlite_digest)
    assert len(page.images) == 9
    assert all(data.startswith(PNG) for data in page.images.values())
    standalone = page.standalone()
    assert "cid:" not in standalone
    assert standalone.count('src="data:image/png;base64,') == len(page.images)
    assert render_digest(sqlite_digest, "html") == standalone


def test_standalone_swaps_every_image() -> None:
    page = HtmlDigest('<img src="cid:a"><img src="cid:b">', {"a": b"1", "b": b"2"})
    assert page.standalone() == (
        '<img src="data:image/png;base64,MQ=="><img src="data:image/png;base64,Mg==">'
    )


def test_compose_gives_every_form(sqlite_digest: Digest) -> None:
    message = compose(sqlite_digest)
    assert message.title == "Growth digest for Sunday 31 March 2024"
    assert message.text == render_digest(sqlite_digest, "text")
    assert json.loads(message.json)["date"] == "2024-03-31"
    assert set(message.images) == set(re.findall(r'src="cid:([^"]+)"', message.html))


def test_unknown_format(sqlite_digest: Digest) -> None:
    with pytest.raises(ValueError, match="unknown digest format 'pdf'"):
        render_digest(sqlite_digest, "pdf")


# --- the command -------------------------------------------------------------------------------


def test_command_prints_each_format(
    cli_env: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    digest_history.load(engine)
    result = run_cli(capsys, "digest", "--date", "2024-03-31", "--format", "json")
    assert result.code == 0, result.err
    assert result.out == (GOLDEN / "2024-03-31.json.golden").read_text(encoding="utf-8")
    text = run_cli(capsys, "digest", "--date", "2024-03-31")
    assert text.out == (GOLDEN / "2024-03-31.txt").read_text(encoding="utf-8")
    markdown = run_cli(capsys, "digest", "--date", "2024-03-31", "-f", "markdown")
    assert markdown.out.startswith("# Growth digest for Sunday 31 March 2024")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "31/03/2024"], "error: --date: expected a date like 2024-03-31"),
        (["--date", "2999-01-01"], "error: --date: 2999-01-01 has not started yet"),
        (["--format", "pdf"], "error: --format: expected one of text, markdown, html, json"),
        (["--force"], "error: --force: only with --send"),
    ],
)
def test_command_refuses_bad_options(
    cli_env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    result = run_cli(capsys, "digest", *args)
    assert result.code == 2
    assert result.err.startswith(message) and result.err.count("\n") == 1
    assert result.out == ""


def test_command_sends_once(
    cli_env: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    digest_history.load(engine)
    first = run_cli(capsys, "digest", "--date", "2024-03-31", "--send")
    assert (first.code, first.out) == (0, "files: sent\n"), first.err
    folder = cli_env / "data" / "digests"
    assert (folder / "2024-03-31.md").read_text(encoding="utf-8") == (
        GOLDEN / "2024-03-31.md"
    ).read_text(encoding="utf-8")
    assert run_cli(capsys, "digest", "--date", "2024-03-31", "--send").out == "files: skipped\n"
    again = run_cli(capsys, "digest", "--date", "2024-03-31", "--send", "--force")
    assert again.out == "files: sent\n"


# --- what a person sees ------------------------------------------------------------------------


@pytest.mark.browser
def test_html_renders_in_headless_chromium(sqlite_digest: Digest, tmp_path: Path) -> None:
    from PIL import Image

    page = tmp_path / "digest.html"
    page.write_text(render_digest(sqlite_digest, "html"), encoding="utf-8")
    shot = tmp_path / "digest.png"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(page), str(shot)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with Image.open(shot) as image:
        width, height = image.size
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert width == 720 and height > 1_500  # the whole page, not one screen
    assert colours is not None and len(colours) > 50  # text and charts, not a blank page


@pytest.mark.process
def test_png_script_needs_chromium(tmp_path: Path) -> None:
    page = tmp_path / "x.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(page), str(tmp_path / "x.png")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "CHROMIUM": str(tmp_path / "no-such-chromium")},
    )
    assert done.returncode == 2
    assert "apt-get install -y chromium" in done.stderr


def test_docs_png_exists() -> None:
    """The README links the sample digest's picture."""
    assert (DOCS / "sample-digest.png").read_bytes().startswith(PNG)
