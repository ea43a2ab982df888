"""The contract's JSON rows carry exactly DESIGN.md's stable field names, in its order."""

from __future__ import annotations

import pytest

from bot.query.contract import (
    AccountsRow,
    CorrectionsRow,
    GrowthRow,
    ReportAccount,
    ReportDocument,
    ReportPoint,
    SnapshotsRow,
)


@pytest.mark.parametrize(
    ("row", "names"),
    [
        (
            AccountsRow,
            "platform handle label status followers posts last_polled_at last_error",
        ),
        (SnapshotsRow, "captured_at followers following posts"),
        (
            GrowthRow,
            "platform handle followers previous change growth_pct posts_change from to",
        ),
        (
            ReportAccount,
            "platform handle start end followers_change followers_growth_pct posts_in_period"
            " posts_source",
        ),
        (
            CorrectionsRow,
            "id platform handle captured_at from to action field old new origin actor at"
            " undone_at",
        ),
        (ReportPoint, "date followers posts"),
    ],
)
def test_rows_have_the_documented_fields(row: type, names: str) -> None:
    assert list(row.__annotations__) == names.split()


def test_a_report_names_its_year_or_range_then_accounts_and_groups() -> None:
    assert ReportDocument.__required_keys__ == {"accounts", "groups"}
    assert ReportDocument.__optional_keys__ == {"year", "from", "to"}
