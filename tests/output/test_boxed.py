"""The directly drawn table is rich's table, character for character, whenever it draws one."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.output.boxed import boxed
from bot.output.tables import PIPE_WIDTH, Column, render

# Printable ASCII with its edge cases (spaces at either end, empty cells) and the null dash,
# mostly; now and then characters rich measures by its own rules (wide, combining, a joiner, a
# tab), which must be left to rich.
PLAIN = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
    st.just("—"),
)
OTHER = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from(["—", "界", "é", "\u0301", "\u200d", "🙂", "\t"]),
    ),
    max_size=30,
)
TEXT = st.one_of(PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, PLAIN, OTHER)


def by_rich(
    title: str | None, headings: list[str], right: list[bool], rows: list[list[str]]
) -> str:
    """What the table renderer printed before: rich, no colour, PIPE_WIDTH columns."""
    table = Table(title=Text(title) if title else None, show_lines=False, header_style="bold")
    for text, is_right in zip(headings, right, strict=True):
        table.add_column(Text(text), justify="right" if is_right else "left")
    for texts in rows:
        table.add_row(*(Text(text) for text in texts))
    out = io.StringIO()
    Console(file=out, width=PIPE_WIDTH).print(table)
    return out.getvalue()


@st.composite
def tables(draw: st.DrawFn) -> tuple[str | None, list[str], list[bool], list[list[str]]]:
    columns = draw(st.integers(1, 9))
    headings = draw(st.lists(TEXT.filter(bool), min_size=columns, max_size=columns))
    right = draw(st.lists(st.booleans(), min_size=columns, max_size=columns))
    rows = draw(
        st.lists(st.lists(TEXT, min_size=columns, max_size=columns), max_size=6),
    )
    title = draw(st.one_of(st.none(), TEXT.filter(bool)))
    return title, headings, right, rows


@settings(max_examples=400, deadline=None)
@given(tables())
def test_a_drawn_table_is_what_rich_prints(
    table: tuple[str | None, list[str], list[bool], list[list[str]]],
) -> None:
    title, headings, right, rows = table
    drawn = boxed(title, headings, right, rows, PIPE_WIDTH)
    if drawn is not None:
        assert drawn == by_rich(title, headings, right, rows)


def test_a_listing_is_drawn_and_what_rich_would_not_fit_is_left_to_it() -> None:
    headings, right = ["Platform", "Handle", "Followers"], [False, False, True]
    rows = [["bluesky", f"u{i}.bsky.social", f"{i * 1234:,}"] for i in range(50)] + [
        ["x", "gone", "—"]
    ]
    drawn = boxed("Accounts", headings, right, rows, PIPE_WIDTH)
    assert drawn is not None and drawn == by_rich("Accounts", headings, right, rows)
    # Wider than the output, a tab, a wide character, a title longer than the table: rich.
    assert boxed(None, headings, right, [["bluesky", "h" * 200, "1"]], PIPE_WIDTH) is None
    assert boxed(None, headings, right, [["bluesky", "a\tb", "1"]], PIPE_WIDTH) is None
    assert boxed(None, headings, right, [["bluesky", "世界", "1"]], PIPE_WIDTH) is None
    assert boxed("A title longer than the table is", ["a"], [False], [], PIPE_WIDTH) is None


def test_render_writes_the_drawn_table_to_a_pipe() -> None:
    columns = [Column("handle", "Handle"), Column("followers", "Followers", numeric=True)]
    rows = [{"handle": "a.bsky.social", "followers": 1234}, {"handle": "b", "followers": None}]
    out = io.StringIO()
    render(rows, columns, "table", out=out, title="Accounts")
    expected = by_rich(
        "Accounts",
        ["Handle", "Followers"],
        [False, True],
        [
            ["a.bsky.social", "1,234"],
            ["b", "—"],
        ],
    )
    assert out.getvalue() == expected


def test_rich_still_draws_for_a_latin_1_stream_and_with_colour_forced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    columns = [Column("handle", "Handle")]
    rows = [{"handle": "a.bsky.social"}]
    raw = io.BytesIO()
    latin = io.TextIOWrapper(raw, encoding="latin-1")
    render(rows, columns, "table", out=latin)  # rich's ASCII box: no UnicodeEncodeError
    latin.flush()
    assert "a.bsky.social" in raw.getvalue().decode("latin-1")
    assert "┏" not in raw.getvalue().decode("latin-1")
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = io.StringIO()
    render(rows, columns, "table", out=coloured)
    assert "\x1b[" in coloured.getvalue()  # the bold heading rich draws
