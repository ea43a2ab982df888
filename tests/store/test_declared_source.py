"""A config file the store applied before is read no further than its head (config/source.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli
from sqlalchemy import Engine, select

import bot.config
from bot.cli.options import Context, command_context
from bot.config import load_settings
from bot.config.source import DeferredAccounts, accounts_head, head_stands_for
from bot.errors import ConfigError
from bot.store.declared import SOURCE_KEY
from bot.store.tables import ACCOUNT, STORE_STATE
from tests.helpers.cli import cli_env

HEAD = '[bot]\npoll_interval = "2h"\n\n[alerts]\ndrop_percent = 5\n'


def entries(*handles: str, label: str = "L") -> str:
    return "".join(
        f'[[accounts]]\nplatform = "bluesky"\nhandle = "{h}"\nlabel = "{label}"\ngroups = ["g"]\n'
        for h in handles
    )


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    cli_env(monkeypatch, tmp_path, database_url, HEAD + entries("a.bsky.social"))
    return tmp_path / "accounts.toml"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times the [[accounts]] entries were read and checked."""
    seen: list[int] = []
    real = bot.config._accounts

    def counting(raw: object, where: str) -> object:
        seen.append(1)
        return real(raw, where)

    monkeypatch.setattr(bot.config, "_accounts", counting)
    yield seen


def context() -> Context:
    return command_context(None, None)


def handles(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as connection:
        rows = connection.execute(select(ACCOUNT.c.handle, ACCOUNT.c.label)).all()
    return {h: label for h, label in rows}


def record(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(
            select(STORE_STATE.c.value).where(STORE_STATE.c.key == SOURCE_KEY)
        ).scalar_one_or_none()


def test_the_second_command_reads_only_the_head(config: Path, reads: list[int]) -> None:
    first = context()
    assert reads == [1] and handles(first.engine) == {"a.bsky.social": "L"}
    assert record(first.engine) is not None
    second = context()
    assert reads == [1]  # the accounts were not read again
    assert isinstance(second.settings.accounts, DeferredAccounts)
    # The head's settings are the whole file's.
    assert second.settings.poll_interval == first.settings.poll_interval
    assert second.settings.alerts == first.settings.alerts
    # Something that does iterate them reads them then, once.
    assert [a.handle for a in second.settings.accounts] == ["a.bsky.social"]
    assert len(second.settings.accounts) == 1 and reads == [1, 1]


def test_a_changed_file_is_read_whole_and_applied(config: Path, reads: list[int]) -> None:
    context()
    config.write_text(HEAD + entries("a.bsky.social", "b.bsky.social", label="M"))
    changed = context()
    assert reads == [1, 1]
    assert handles(changed.engine) == {"a.bsky.social": "M", "b.bsky.social": "M"}
    context()
    assert reads == [1, 1]


def test_a_set_applied_since_makes_the_record_stale(config: Path, reads: list[int]) -> None:
    first = config.read_text()
    context()
    config.write_text(HEAD + entries("b.bsky.social"))
    context()
    config.write_text(first)  # back to the first file: its old record no longer holds
    again = context()
    assert reads == [1, 1, 1]
    labels = handles(again.engine)
    assert set(labels) == {"a.bsky.social", "b.bsky.social"}
    with again.engine.connect() as connection:
        status = dict(connection.execute(select(ACCOUNT.c.handle, ACCOUNT.c.status)).all())
    assert status == {"a.bsky.social": "active", "b.bsky.social": "removed"}


@pytest.mark.parametrize(
    "text",
    [
        # A table after the accounts: the head alone would miss it.
        entries("a.bsky.social") + HEAD,
        # Options may carry a secret in a URL, which the redactor must know.
        HEAD
        + entries("a.bsky.social")
        + '[[accounts]]\nplatform = "json"\nhandle = "j"\n[accounts.options]\n'
        + 'url = "https://example.org/c?key=abc"\nfollowers = "/f"\n',
        # The line sits inside a multi-line string: the head does not even parse.
        '[platforms.instagram]\nig_user_id = """1\n[[accounts]]\n2"""\n' + entries("a.bsky.social"),
    ],
    ids=["table-after", "options", "in-a-string"],
)
def test_a_head_that_cannot_stand_for_the_file_is_never_trusted(
    config: Path, reads: list[int], text: str
) -> None:
    config.write_text(text)
    for _ in range(3):
        ctx = context()
        assert not isinstance(ctx.settings.accounts, DeferredAccounts)
    assert reads == [1, 1, 1]
    assert record(ctx.engine) is None


def test_a_bad_account_is_reported_when_the_file_changes(config: Path) -> None:
    context()
    config.write_text(HEAD + entries("a.bsky.social") + entries("not a handle"))
    with pytest.raises(ConfigError, match=r"accounts\[1\]\.handle"):
        context()
    # Nothing of the bad file was applied, and the good file is still trusted.
    config.write_text(HEAD + entries("a.bsky.social"))
    assert isinstance(context().settings.accounts, DeferredAccounts)


@pytest.mark.parametrize("where", ["an account", "the TOML after the head"])
def test_a_broken_file_is_reported_before_any_store_is_made_or_reached(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: str
) -> None:
    broken = entries("not a handle") if where == "an account" else '[[accounts]]\nx = "\n'
    (tmp_path / "accounts.toml").write_text(HEAD + broken)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "accounts.toml"))
    expected = r"handle" if where == "an account" else "not valid TOML"
    database = tmp_path / "new" / "bot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    with pytest.raises(ConfigError, match=expected):
        context()
    assert not database.parent.exists()  # nothing created
    # A store that cannot be reached: the file's problem is still the one reported.
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(ConfigError, match=expected):
        context()


def test_a_store_that_refuses_the_record_only_costs_a_whole_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, reads: list[int]
) -> None:
    # A read-only SQLite file stands for any store that refuses writes (a read-only role).
    database_url = f"sqlite:///{tmp_path / 'bot.db'}"
    cli_env(monkeypatch, tmp_path, database_url, HEAD + entries("a.bsky.social"))
    config = tmp_path / "accounts.toml"
    context()
    config.write_text(config.read_text() + "# a comment: another file, the same accounts\n")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///file:{tmp_path / 'bot.db'}?mode=ro&uri=true")
    ctx = context()
    assert handles(ctx.engine) == {"a.bsky.social": "L"}
    ctx.engine.dispose()
    assert reads == [1, 1]
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert not isinstance(context().settings.accounts, DeferredAccounts)  # recorded now
    assert isinstance(context().settings.accounts, DeferredAccounts)


def test_the_head_stands_only_for_what_it_parses_to(config: Path) -> None:
    text = HEAD + entries("a.bsky.social")
    assert accounts_head(text) == HEAD
    assert accounts_head(HEAD) is None
    assert accounts_head("x = 1\n  [[ accounts ]]  # the list\n") == "x = 1\n"
    assert head_stands_for(text, tomli.loads(text))
    assert not head_stands_for(HEAD, tomli.loads(HEAD))
    whole = load_settings(config)
    assert whole.source is not None and whole.source.splits
