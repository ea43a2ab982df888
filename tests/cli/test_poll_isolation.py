"""Issue 10: `bot poll ok-account bad-account` stores the ok account's counts.

A loopback server plays Bluesky (one profile's count is '٣', which ``str.isdigit`` accepts) and
Mastodon (an answer nested deeper than any JSON decoder allows).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers.cli import run_cli

# Follower counts a test sets for an actor (else 1234).
COUNTS: dict[str, int] = {}


def profile(actor: str) -> dict[str, object]:
    count: object = "\u0663" if actor.startswith("bad") else COUNTS.get(actor, 1234)
    # Once an account's DID is known, it is what the bot asks for.
    did = actor if actor.startswith("did:") else f"did:plc:{actor[:3]}"
    return {"did": did, "handle": actor, "followersCount": count}


@pytest.fixture
def server() -> Iterator[str]:
    """Fake Bluesky and Mastodon on a free loopback port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path.startswith("/api/v1/"):
                data = b"[" * 100_000 + b"]" * 100_000
            else:
                actors = parse_qs(url.query).get("actors", [])
                data = json.dumps({"profiles": [profile(a) for a in actors]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, server: str) -> Path:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "accounts.toml"
    lines = []
    for name in ("bluesky", "mastodon"):
        lines += [f"[platforms.{name}]", f'base_url = "{server}"', "allow_private_addresses = true"]
    for platform, handle in (
        ("bluesky", "ok.bsky.social"),
        ("bluesky", "bad.bsky.social"),
        ("mastodon", "deep@sim.social"),
    ):
        lines += ["[[accounts]]", f'platform = "{platform}"', f'handle = "{handle}"']
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("BOT_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", database_url)
    return tmp_path


def test_poll_ok_and_bad_accounts_stores_the_ok_one(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = ("bluesky:ok.bsky.social", "bluesky:bad.bsky.social", "mastodon:deep@sim.social")
    poll = run_cli(capsys, "poll", *keys, "-f", "json")
    assert poll.code == 0, poll.err
    lines = {row["handle"]: row for row in json.loads(poll.out)}
    assert lines["ok.bsky.social"]["outcome"] == "ok"
    assert lines["bad.bsky.social"]["outcome"] == "parse_error"
    assert "followersCount" in lines["bad.bsky.social"]["message"]
    assert lines["deep@sim.social"]["outcome"] == "parse_error"
    assert "nested too deep" in lines["deep@sim.social"]["message"]
    accounts = run_cli(capsys, "accounts", "-f", "json")
    rows = {row["handle"]: row for row in json.loads(accounts.out)}
    assert rows["ok.bsky.social"]["followers"] == 1234
    assert rows["bad.bsky.social"]["followers"] is None
    assert "Traceback" not in poll.err + accounts.err


def test_poll_whose_count_is_held_as_suspect_did_not_fail(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(capsys, "poll", "bluesky:ok.bsky.social").code == 0
    monkeypatch.setitem(COUNTS, "did:plc:ok.", 3)  # a sudden fall: the gate holds it
    poll = run_cli(capsys, "poll", "bluesky:ok.bsky.social", "-f", "json")
    [line] = json.loads(poll.out)
    assert line["outcome"] == "suspect"
    # The platform answered and the count is stored: not "every attempt failed".
    assert poll.code == 0, poll.err
