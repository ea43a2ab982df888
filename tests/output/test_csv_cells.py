"""A CSV row's cells decided inline are the cells ``csv_cell`` gives, one by one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.output.tables import _csv_cells, csv_cell

values = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.text(alphabet=st.sampled_from("'=+-@\t\r\x1b\u202eab é1"), max_size=6),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.datetimes(timezones=st.just(UTC)),
    st.lists(st.integers(), max_size=2),
)


@given(st.lists(values, max_size=8), st.sampled_from([None, UTC, ZoneInfo("Europe/Paris")]))
def test_each_cell_is_csv_cell(row: list[Any], tz: ZoneInfo | None) -> None:
    keys = [f"k{i}" for i in range(len(row))]
    mapping = dict(zip(keys, row, strict=True))
    assert _csv_cells(mapping, [*keys, "absent"], tz) == [
        *(csv_cell(value, tz) for value in row),
        "",
    ]


def test_the_common_cells() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    row = {"a": "plain", "b": "=1+1", "c": 7, "d": None, "e": at, "f": "tab\tin"}
    expected = ["plain", "'=1+1", 7, "", "2026-01-01T00:00:00Z", "tab in"]
    assert _csv_cells(row, list(row), None) == expected
