"""The vocabularies: their words are the stored and documented ones, and read as plain strings."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum

import pytest

from bot.kinds import (
    AccountStatus,
    CorrectionAction,
    DeliveryStatus,
    GateState,
    PollOutcome,
    Quality,
    Source,
)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (AccountStatus, ["active", "not_found", "suspended", "auth_error", "paused", "removed"]),
        (
            PollOutcome,
            [
                "ok",
                "rate_limited",
                "http_error",
                "timeout",
                "not_found",
                "suspended",
                "auth_error",
                "parse_error",
                "suspect",
            ],
        ),
        (Quality, ["ok", "suspect", "confirmed_drop"]),
        (Source, ["poll", "import", "demo"]),
        (CorrectionAction, ["mark_suspect", "mark_ok", "delete", "set", "replace"]),
        (GateState, ["ok", "rate_limited", "circuit_open", "failing"]),
        (DeliveryStatus, ["sending", "sent", "failed", "disabled", "unknown"]),
    ],
)
def test_each_vocabulary_holds_the_documented_words(kind: type[StrEnum], words: list[str]) -> None:
    assert [member.value for member in kind] == words
    assert all(len(word) <= 16 for word in words)  # the narrowest column is VARCHAR(16)


def test_a_member_reads_as_its_plain_word_in_json_csv_and_text() -> None:
    member = AccountStatus.NOT_FOUND
    assert member == "not_found" and hash(member) == hash("not_found")
    assert json.dumps({"status": member}) == '{"status": "not_found"}'
    out = io.StringIO()
    csv.writer(out).writerow([member])
    assert out.getvalue().strip() == "not_found"
    assert f"{member}" == str(member) == "not_found"
