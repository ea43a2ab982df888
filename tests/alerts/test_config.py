"""``[alerts]``: defaults, overrides by group and account, and one-line errors naming the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import AlertRules, Settings, load_settings
from bot.errors import ConfigError

ACCOUNTS = """
[[accounts]]
platform = "x"
handle = "a"
groups = ["g"]

"""


def _load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, environ={"BOT_NOTIFY": "json://127.0.0.1:9/hook"})


def test_without_an_alerts_table_the_defaults_are_on(tmp_path: Path) -> None:
    alerts = _load(tmp_path, "").alerts
    assert alerts.enabled and alerts.platform_blocked is None
    assert alerts.rules == AlertRules()
    assert alerts.rules.drop_percent == 10.0 and alerts.rules.drop_window == timedelta(days=1)
    assert alerts.rules.status and alerts.rules.credentials and alerts.rules.milestones
    assert alerts.rules.missed_polls is None


def test_enabled_false_turns_alerts_off(tmp_path: Path) -> None:
    assert not _load(tmp_path, "[alerts]\nenabled = false\n").alerts.enabled


def test_overrides_apply_group_then_account(tmp_path: Path) -> None:
    alerts = _load(
        tmp_path,
        """
[[accounts]]
platform = "bluesky"
handle = "bsky.app"
groups = ["peers"]

[[accounts]]
platform = "x"
handle = "peer"
groups = ["peers"]

[alerts]
drop_percent = 15
drop_window = "7d"
missed_polls = 3
platform_blocked = "2h"

[alerts.groups.peers]
drop_percent = false
milestones = false

[alerts.accounts."bluesky:@BSKY.app"]
drop_followers = 500
status = false
""",
    ).alerts
    assert alerts.platform_blocked == timedelta(hours=2)
    plain = alerts.rules_for("x", "someone", ())
    assert (plain.drop_percent, plain.drop_window, plain.missed_polls) == (
        15.0,
        timedelta(days=7),
        3,
    )
    peer = alerts.rules_for("x", "peer", ("peers",))
    assert peer.drop_percent is None and not peer.milestones and peer.status
    own = alerts.rules_for("bluesky", "BSKY.app", ("peers",))
    assert own.drop_followers == 500 and not own.status and own.drop_percent is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[alerts]\ndrop_pecent = 5\n", "alerts.drop_pecent"),
        ("[alerts]\ndrop_percent = 150\n", "alerts.drop_percent"),
        ('[alerts]\ndrop_percent = "10%"\n', "alerts.drop_percent"),
        ("[alerts]\nmissed_polls = 2.5\n", "alerts.missed_polls"),
        ('[alerts]\ndrop_window = "soon"\n', "alerts.drop_window"),
        ("[alerts]\nenabled = 1\n", "alerts.enabled"),
        ('[alerts.groups.g]\nplatform_blocked = "1h"\n', "alerts.groups.g.platform_blocked"),
        ('[alerts.accounts."x:a"]\nstatus = "no"\n', 'alerts.accounts."x:a".status'),
        ('[alerts.accounts."x:nobody"]\nstatus = false\n', 'alerts.accounts."x:nobody"'),
        ('[alerts.accounts."nowhere:a"]\nstatus = false\n', 'alerts.accounts."nowhere:a"'),
        ("[alerts.groups.nogroup]\nstatus = false\n", "alerts.groups.nogroup"),
    ],
)
def test_bad_alert_keys_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, ACCOUNTS + text)
    assert key in str(caught.value) and "\n" not in str(caught.value)
