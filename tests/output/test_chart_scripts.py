"""Chart titles in every script: an Arabic label in reading order, letters joined; no mathtext.

matplotlib (3.11+) lays text out with libraqm, which applies the Unicode bidi algorithm and
shapes Arabic; the bot's part is to hand it the label between direction isolates, so the
words around it ("(x:DGSN_MAROC): followers") keep their place. The checks below read the
glyphs matplotlib's own layout places, in the order Agg draws them.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from matplotlib import _text_helpers  # the layout Agg draws with (libraqm)
from matplotlib.font_manager import findfont, get_font
from matplotlib.text import Text
from sqlalchemy import Engine
from sqlmodel import Session

from bot.clock import system_clock
from bot.growth import Point
from bot.output import charts
from bot.query import rows as views
from bot.store.accounts import get_or_create

ARABIC = "المديرية العامة للأمن الوطني"
START = datetime(2021, 1, 1, tzinfo=UTC)
POINTS = [Point(START + timedelta(days=d), 226_481 + 250 * d) for d in range(30)]
FSI, PDI = "\u2068", "\u2069"


def visual(text: Text) -> tuple[str, list[tuple[str, int]]]:
    """The title as drawn, left to right (isolates left out), and each glyph's (char, index)."""
    font = get_font(findfont(text.get_fontproperties()))
    font.set_size(text.get_fontsize(), 72)
    items = list(_text_helpers.layout(text.get_text(), font))
    drawn = [item for item in items if item.char not in (FSI, PDI)]
    # A cluster (a lam-alef ligature) is one glyph for several characters in logical order.
    return "".join(item.char[::-1] for item in drawn), [(i.char, i.glyph_index) for i in drawn]


def title_text(title: str) -> Text:
    """The title ``followers_figure`` gives matplotlib for ``title``."""
    figure = charts.followers_figure(POINTS, title=title, tz=ZoneInfo("Africa/Casablanca"))
    shown = figure.axes[0].get_title(loc="left")
    [text] = [t for t in figure.findobj(Text) if isinstance(t, Text) and t.get_text() == shown]
    return text


def _label(engine: Engine, label: str) -> str:
    """The chart title ``bot chart x:DGSN_MAROC`` gives an account with ``label``."""
    with Session(engine) as session:
        account = get_or_create(session, "x", "DGSN_MAROC", system_clock())
        account.label = label
        session.add(account)
        session.commit()
    title, _ = views.chart_series(engine, "x:DGSN_MAROC", since=None, until=None)
    return title


@pytest.mark.parametrize(
    ("label", "reads"),
    [
        (ARABIC, f"{ARABIC[::-1]} (x:DGSN_MAROC): followers"),
        (
            f"DGSN [archive] {ARABIC}",
            f"DGSN [archive] {ARABIC[::-1]} (x:DGSN_MAROC): followers",
        ),
    ],
    ids=["arabic", "mixed"],
)
def test_an_arabic_label_reads_in_order_in_the_chart_title(
    engine: Engine, label: str, reads: str
) -> None:
    title = _label(engine, label)
    assert title == f"{FSI}{label}{PDI} (x:DGSN_MAROC): followers"
    drawn, glyphs = visual(title_text(title))
    # Left to right on the image: the label (its Arabic right to left), then the key.
    assert drawn == reads
    # Joined letters: a meem and a yeh inside words are drawn in their joining forms, never
    # as the isolated letter the font maps the bare code point to.
    font = get_font(findfont(title_text(title).get_fontproperties()))
    for letter in "مي":
        isolated = font.get_char_index(ord(letter))
        assert all(index != isolated for char, index in glyphs if char == letter), letter


def test_dollar_signs_in_a_label_are_not_mathtext() -> None:
    # Unescaped, "$5 or $" would be drawn as italic maths and "$\\frac{1}{0$" raise ValueError.
    title = "Price $5 or $6, $\\frac{1}{0$ (x:acme): followers"
    assert title_text(title).get_text() == title.replace("$", "\\$")
    png = charts.followers_chart_png(POINTS, title=title, tz=ZoneInfo("UTC"))
    assert png.startswith(b"\x89PNG")


ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "docs" / "sample-chart-arabic.png"


def test_the_sample_chart_is_committed() -> None:
    assert SAMPLE.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.process
def test_the_sample_chart_script_draws_it(tmp_path: Path) -> None:
    """scripts/render-chart-arabic makes docs/sample-chart-arabic.png through `bot chart`."""
    output = tmp_path / "sample.png"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "render-chart-arabic"), str(output)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "366 snapshots drawn" in done.stdout
    # Bytes vary with matplotlib's version; what the sample shows was checked by eye.
    assert output.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
