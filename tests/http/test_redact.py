"""Credential-looking query parameters are masked wherever a URL is stored or logged."""

from __future__ import annotations

import pytest

from bot.http.redact import MASK, Redactor, credential_values, redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://stats.example.org/doc.json?user=a&api_key=K3y-Sekret-1",
            f"https://stats.example.org/doc.json?user=a&api_key={MASK}",
        ),
        (
            "https://s.example/x?Token=t0k&page=2&client_secret=cs&sig=abc&password=pw",
            f"https://s.example/x?Token={MASK}&page=2&client_secret={MASK}&sig={MASK}"
            f"&password={MASK}",
        ),
        (
            "https://s.example/x?auth=a1&X-Amz-Signature=s2",
            f"https://s.example/x?auth={MASK}&X-Amz-Signature={MASK}",
        ),
        ("https://s.example/x?user=a&lang=fr", "https://s.example/x?user=a&lang=fr"),
        ("https://s.example/x", "https://s.example/x"),
        ("https://s.example/x?apikey=&q=1#frag", "https://s.example/x?apikey=&q=1#frag"),
    ],
)
def test_redact_url_masks_credential_values_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_credential_values_are_the_masked_ones() -> None:
    url = "https://s.example/x?user=alice&api_key=K3y-Sekret-1&sig=zz&session_id=S-42"
    assert credential_values(url) == ["K3y-Sekret-1", "zz", "S-42"]


@pytest.mark.parametrize(
    "text",
    [
        "GET https://s.example/doc?secret=Sh-hh-1234&x=1 failed",
        "answer echoed password=hunter2hunter2",
        "signed url ?X-Amz-Signature=abcdef123456 expired",
        "auth_token=ABCDEF123456 refused",
        "apikey=QWERTY987654",
    ],
)
def test_the_log_redactor_masks_credential_parameters_in_any_text(text: str) -> None:
    masked = Redactor()(text)
    assert MASK in masked
    for secret in ("Sh-hh-1234", "hunter2hunter2", "abcdef123456", "ABCDEF123456", "QWERTY987654"):
        assert secret not in masked
