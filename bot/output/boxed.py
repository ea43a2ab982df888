"""Rich's default table drawn directly when every cell fits on its line: a large listing fast.

rich lays a table out cell by cell (about 0.5 ms a row): ``bot accounts`` at 100,000 accounts
spent a minute there. When no cell has to wrap, the layout is only each column's widest cell;
this draws the same characters rich draws then (tests/output/test_boxed.py holds the two
equal), and says None whenever rich has more to do: a cell or title that would wrap, a
character it might measure or draw otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len


def boxed(
    title: str | None,
    headings: Sequence[str],
    right: Sequence[bool],
    rows: Sequence[Sequence[str]],
    width: int,
) -> str | None:
    """The table as rich prints it without colour in ``width`` columns, or None to leave it to rich.

    ``right``: which columns are right-justified (headings too, as rich does).
    """
    lines = [headings, *rows]
    if not all(_plain(text) for line in lines for text in line):
        return None
    widths = [max(cell_len(line[i]) for line in lines) for i in range(len(headings))]
    total = sum(widths) + 3 * len(widths) + 1
    if total > width or (title is not None and not (_plain(title) and cell_len(title) <= total)):
        return None

    def row(texts: Sequence[str], edge: str) -> str:
        cells = [
            " " * (w - cell_len(t)) + t if r else t + " " * (w - cell_len(t))
            for t, w, r in zip(texts, widths, right, strict=True)
        ]
        return f"{edge} {f' {edge} '.join(cells)} {edge}"

    def rule(left: str, fill: str, middle: str, end: str) -> str:
        return left + middle.join(fill * (w + 2) for w in widths) + end

    out = []
    if title is not None:
        spare = total - cell_len(title)
        out.append(" " * (spare // 2) + title + " " * (spare - spare // 2))
    out += [rule("┏", "━", "┳", "┓"), row(headings, "┃"), rule("┡", "━", "╇", "┩")]
    out += [row(texts, "│") for texts in rows]
    out.append(rule("└", "─", "┴", "┘"))
    return "\n".join(out) + "\n"


def _plain(text: str) -> bool:
    """Text rich draws as it is, one cell per character: printable ASCII, the dash of a null."""
    # Other characters (wide, combining, joiners, bidi) are measured by rich's own rules, and
    # it trims spaces at a justified cell's edge; a table holding any is left to rich rather
    # than risk a column drawn one cell off.
    if text == "—":
        return True
    return text.isascii() and text.isprintable() and text == text.strip()
