"""The documentation: README for newcomers, docs/ for the rest, nothing a user can touch left out.

Every command and option of the Typer app, every config key the loader accepts and every
variable it reads must appear in README.md or docs/*.md, and every relative link there must
lead to a file (and heading) that exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from bot.cli import build_app, every_command
from bot.config import accounts as config_accounts
from bot.config import sections as config_sections
from bot.platforms import ADAPTERS

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
README_LINES = 250
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def pages() -> list[Path]:
    """README.md and every Markdown page of docs/."""
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def documentation() -> str:
    """All of the documentation as one text."""
    return "\n".join(page.read_text(encoding="utf-8") for page in pages())


def user_facing_names() -> Iterator[str]:
    """What a user can type or set: commands, options, config keys, environment variables."""
    group = typer.main.get_command(build_app())
    assert isinstance(group, typer.core.TyperGroup)
    for param in group.params:
        yield from (o for o in param.opts if o.startswith("--"))
    for name, command in every_command().items():
        yield f"bot {name}"
        for param in command.params:
            yield from (o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
        # A group's subcommands (``bot accounts add``) and their options too.
        for sub, subcommand in getattr(command, "commands", {}).items():
            yield f"bot {name} {sub}"
            for param in subcommand.params:
                yield from (o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
    yield from (f"bot.{key}" for key in config_sections._BOT_KEYS)
    yield from (f"platforms.<name>.{key}" for key in config_sections._PLATFORM_KEYS)
    yield from (f"accounts[].{key}" for key in config_accounts._ACCOUNT_KEYS)
    for adapter in ADAPTERS:
        yield from (f"platforms.{adapter.name}.{key}" for key in adapter.platform_options)
        if adapter.token_env:
            yield adapter.token_env
    yield from ("DATABASE_URL", "BOT_CONFIG", "BOT_NOTIFY", "BOT_API_TOKEN")


def undocumented(text: str) -> list[str]:
    """The user-facing names ``text`` never mentions (as a word, not inside a longer one)."""
    missing = []
    for name in dict.fromkeys(user_facing_names()):
        if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            missing.append(name)
    return missing


def test_every_command_option_key_and_variable_is_documented() -> None:
    assert undocumented(documentation()) == []


@pytest.mark.parametrize(
    ("removed", "named"),
    [
        ("bot check", "bot check"),
        ("--metrics-host", "--metrics-host"),
        ("bot.digest_at", "bot.digest_at"),
        ("platforms.instagram.ig_user_id", "platforms.instagram.ig_user_id"),
        ("TWITCH_CREDENTIALS", "TWITCH_CREDENTIALS"),
    ],
)
def test_the_check_names_what_is_missing(removed: str, named: str) -> None:
    text = re.sub(rf"(?<![\w-]){re.escape(removed)}(?![\w-])", "", documentation())
    assert named in undocumented(text)


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it (``The daemon`` -> ``the-daemon``)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a Markdown page's headings (those outside code blocks)."""
    found, fenced = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"^#{1,6} (.+)$", line)):
            found.add(slug(match.group(1)))
    return found


def broken_links(page: Path) -> list[str]:
    """The relative links of ``page`` whose file or heading does not exist."""
    broken = []
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    for target in _LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # https:, mailto:
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists() or (
            anchor and destination.suffix == ".md" and anchor not in anchors(destination)
        ):
            broken.append(target)
    return broken


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_a_broken_link_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "there.md").write_text("# Here it is\n")
    page.write_text("[a](there.md#here-it-is) [b](there.md#nowhere) [c](missing.md) [d](#top)\n")
    assert broken_links(page) == ["there.md#nowhere", "missing.md", "#top"]


def test_the_readme_is_for_newcomers() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count("\n") <= README_LINES
    # What it does with the digest picture, the two commands, a real setup, every command.
    assert "![Sample digest](docs/sample-digest.png)" in readme
    assert "make demo" in readme and "make test" in readme and "bot check" in readme
    for name in every_command():
        assert re.search(rf"^\| `bot {name}[ `]", readme, re.MULTILINE), name
    for page in sorted(DOCS.glob("*.md")):
        if page.name != "sample-digest.md":
            assert f"(docs/{page.name})" in readme, f"README does not link {page.name}"
