"""A handle or label in the Markdown digest cannot break out of its code span, its table cell or
inject markup: parsed back by a CommonMark + GFM-tables parser, it is the same text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.output.text import code, literal, md

PARSER = MarkdownIt("commonmark").enable("table")
MARKUP = st.text(alphabet=st.sampled_from("`|*_[]()<>!#~&\\ \n:@.-aZ"), max_size=30)
TEXT = st.one_of(MARKUP, st.text(max_size=30))


def cells(row: str) -> list[list[Token]]:
    """The inline tokens of each cell of a one-row table whose header is two cells."""
    tokens = PARSER.parse(f"| Account | Followers |\n|---|--:|\n{row}\n")
    body = tokens[[t.type for t in tokens].index("tbody_open") :]
    return [t.children or [] for t in body if t.type == "inline"]


@settings(max_examples=300, deadline=None)
@given(handle=TEXT)
def test_a_handle_stays_inside_its_code_span_and_cell(handle: str) -> None:
    key = f"mastodon:{handle}"
    row = cells(f"| {code(key)} | 1 |")
    assert len(row) == 2, row
    spans = [t for t in row[0] if t.type == "code_inline"]
    assert len(spans) == 1 and [t.type for t in row[0]] == ["code_inline"], row[0]
    shown = literal(key)
    # CommonMark strips one space from each end of a span that has one at both ends.
    content = spans[0].content
    assert content == shown or content == shown.strip() or f" {content} " == f" {shown} ", (
        content,
        shown,
    )


@settings(max_examples=300, deadline=None)
@given(label=TEXT)
def test_a_label_is_text_and_nothing_else(label: str) -> None:
    shown = literal(label)
    row = cells(f"| {md(shown)} (`x:acme`) | 1 |")
    assert len(row) == 2, row
    kinds = {t.type for t in row[0]}
    assert kinds <= {"text", "code_inline"}, row[0]
    text = "".join(t.content for t in row[0] if t.type == "text")
    assert text.strip() == f"{shown} ()".strip(), (text, shown)
