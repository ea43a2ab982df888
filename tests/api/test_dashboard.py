"""The dashboard without a browser: who may see it, what each page says, the downloads."""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from bot.api.app import create_app
from bot.api.dashboard.session import COOKIE
from bot.clock import ManualClock
from bot.kinds import DeliveryStatus
from bot.store import digests as runs
from tests.helpers.dashboard import ARABIC, FRENCH, NOW, TOKEN, seed_dashboard

PUBLIC = {"/healthz", "/login"}
HOUR = timedelta(hours=1)
SAMPLE = {
    "platform": "x",
    "handle": "DGSN_MAROC",
    "name": "dashboard.js",
    "fmt": "csv",
    "day": "today",
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def client(engine: Engine, tmp_path: Path, clock: ManualClock) -> TestClient:
    """The app over the dashboard's test world, with BOT_API_TOKEN set; not logged in."""
    settings = seed_dashboard(engine, tmp_path)
    return TestClient(create_app(settings, engine, clock=clock), follow_redirects=False)


def log_in(client: TestClient) -> None:
    answer = client.post("/login", data={"token": TOKEN})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def get_paths(client: TestClient) -> list[str]:
    """Every GET route of the app, its parameters filled in."""
    app = client.app
    assert hasattr(app, "routes")
    paths = []
    for route in app.routes:
        if isinstance(route, APIRoute) and "GET" in route.methods:
            path = re.sub(r"\{(\w+)(:path)?\}", lambda m: SAMPLE[m.group(1)], route.path)
            paths.append(path + ("?account=x:DGSN_MAROC" if "/ui/daily." in path else ""))
    return paths


def test_every_route_but_healthz_and_login_needs_the_token_or_a_session(
    client: TestClient,
) -> None:
    paths = get_paths(client)
    assert {"/", "/docs", "/openapi.json", "/ui/report", "/ui/status", "/accounts"} <= set(paths)
    for path in paths:
        answer = client.get(path)
        if path.split("?")[0] in PUBLIC:
            assert answer.status_code == 200, path
        elif answer.status_code == 303:
            assert answer.headers["location"] == "/login", path
        else:
            assert answer.status_code == 401, path
        assert "317,074" not in answer.text and "317074" not in answer.text, path
    # The JSON routes and the schema answer 401 to a script; pages send a browser to the form.
    assert client.get("/openapi.json").status_code == 401
    assert client.get("/docs").status_code == 303


def test_a_wrong_token_leaks_nothing_and_sets_no_cookie(client: TestClient) -> None:
    answer = client.post("/login", data={"token": "dash-Secret-9b2f"})
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers
    assert "not this server's" in answer.text
    for leak in (TOKEN, "dash-Secret-9b2f", "317,074", ARABIC):
        assert leak not in answer.text
    assert client.get("/").status_code == 303
    # Neither a forged cookie nor the token itself as a cookie opens anything.
    for forged in ("x.y.z", TOKEN):
        client.cookies.set(COOKIE, forged)
        assert client.get("/").status_code == 303
        assert client.get("/accounts").status_code == 401


def test_the_session_cookie_is_httponly_strict_signed_and_expires(
    client: TestClient, clock: ManualClock
) -> None:
    answer = client.post("/login", data={"token": TOKEN})
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=43200" in cookie
    assert TOKEN not in cookie and TOKEN not in answer.headers["location"]
    assert client.get("/").status_code == 200
    assert client.get("/accounts").status_code == 200  # the cookie opens the JSON too
    assert client.get("/login").headers["location"] == "/"  # already logged in
    value = client.cookies[COOKIE]
    client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert client.get("/").status_code == 303  # tampered
    client.cookies.set(COOKIE, value)
    clock.advance(timedelta(hours=12, seconds=1))
    assert client.get("/").status_code == 303  # expired


def test_logout_forgets_the_cookie(client: TestClient) -> None:
    log_in(client)
    answer = client.post("/logout")
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert f'{COOKIE}=""' in answer.headers["set-cookie"] or "Max-Age=0" in answer.headers[
        "set-cookie"
    ]
    assert client.get("/").status_code == 303


def test_a_bearer_token_opens_pages_too(client: TestClient) -> None:
    answer = client.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and "318,900" in answer.text


def test_overview_shows_figures_changes_groups_and_escaped_isolated_labels(
    client: TestClient,
) -> None:
    log_in(client)
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    # X's last count (the seed's 15 Jan) and its 7-day change (from the 9th: the 8th is a glitch).
    assert "318,900" in html and "+746 <small>(+0.23%)</small>" in html
    assert f"<bdi>{ARABIC}</bdi>" in html
    assert "<bdi>Sûreté nationale &lt;DGSN&gt; &amp; co</bdi>" in html
    assert FRENCH not in html  # never unescaped
    assert 'id="groups"' in html and "<bdi>national</bdi>" in html
    assert 'class="spark"' in html and "<polyline" in html
    assert "Content-Security-Policy" in page.headers
    assert "default-src 'self'" in page.headers["content-security-policy"]
    only = client.get("/?platform=facebook").text
    assert "282,638" not in only  # facebook's last count is the seed's 15 Jan 284,002
    assert "284,002" in only and 'data-key="x:DGSN_MAROC"' not in only
    national = client.get("/?group=national").text
    assert 'data-key="x:DGSN_MAROC"' in national and 'data-key="facebook' not in national


def test_account_page_marks_the_glitch_without_joining_it(client: TestClient) -> None:
    log_in(client)
    html = client.get("/ui/accounts/x/DGSN_MAROC?range=30d").text
    followers_chart = html.split("<h2>Followers</h2>", 1)[1].split("</svg>", 1)[0]
    assert followers_chart.count('class="suspect"') == 1
    (suspect,) = re.findall(r'class="suspect" d="M([\d.]+),', followers_chart)
    glitch_x = float(suspect) + 4
    joined = re.findall(r'points="([^"]+)"', followers_chart)
    xs = [float(p.split(",")[0]) for line in joined for p in line.split()]
    assert glitch_x not in xs  # the 0 of 8 January is not a point of any line
    assert "Next: 320,000 followers around 2022-01-2" in html
    assert "1 suspect point marked" in html
    # The daily table: one row per local day, newest first, the glitch day keeps no row of 0.
    table = html.split('id="daily"', 1)[1]
    assert table.index("2022-01-14") < table.index("2022-01-13")
    assert ">0<" not in table
    yearly = client.get("/ui/accounts/x/DGSN_MAROC?range=1y").text
    assert "300,000 followers passed on 2021-12-12" in yearly


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("?range=week", 400, "range: expected one of 30d, 90d, 1y, all, custom"),
        ("?range=custom&from=2022-01-10&to=2022-01-01", 400, "before from"),
        ("?range=custom&from=soon", 400, "since: expected a date"),
    ],
)
def test_account_page_mistakes_are_pages(
    client: TestClient, query: str, status: int, words: str
) -> None:
    log_in(client)
    answer = client.get(f"/ui/accounts/x/DGSN_MAROC{query}")
    assert answer.status_code == status and words in answer.text
    missing = client.get("/ui/accounts/x/nobody")
    assert missing.status_code == 404 and "unknown account" in missing.text


def test_custom_range_and_daily_downloads(client: TestClient) -> None:
    log_in(client)
    custom = "range=custom&from=2022-01-01&to=2022-01-05"
    html = client.get(f"/ui/accounts/x/DGSN_MAROC?{custom}").text
    assert html.count("<tr><td>2022-01-0") == 5
    csv = client.get(f"/ui/daily.csv?account=x:DGSN_MAROC&{custom}")
    assert csv.headers["content-disposition"].startswith("attachment;")
    assert csv.text.splitlines()[1].startswith("2022-01-01T11:00:00+01:00,317194,")
    book = client.get("/ui/daily.xlsx?account=x:DGSN_MAROC&range=all")
    sheet = load_workbook(BytesIO(book.content)).active
    assert sheet is not None and sheet.freeze_panes == "A2"
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[0] == "Captured (Africa/Casablanca)"
    assert any(row[1] == 318_754 for row in rows)


def test_report_page_has_the_sentences_the_groups_and_downloads(client: TestClient) -> None:
    log_in(client)
    html = client.get("/ui/report").text  # last year by default
    assert "Annual report 2021" in html
    sentence = "317,074 followers on 31 Dec 2021, +90,592 (+40.00%) on a year before"
    assert sentence in html
    assert 'id="copy-text"' in html and "1,061 posts published" in html
    assert 'id="report-groups"' in html and "599,712" in html
    ranged = client.get("/ui/report?from=2021-01-01&to=2021-06-30").text
    assert "Report 1 Jan 2021 to 30 Jun 2021" in ranged
    wrong = client.get("/ui/report?year=21x")
    assert wrong.status_code == 400 and "year: expected a year like 2021" in wrong.text
    book = load_workbook(BytesIO(client.get("/ui/report.xlsx?year=2021").content)).active
    assert book is not None
    header, *rows = list(book.iter_rows(values_only=True))
    assert header[:3] == ("Platform", "Handle", "Label")
    assert {row[2] for row in rows} == {ARABIC, FRENCH}
    assert {row[8] for row in rows} == {40.0, 47.28}
    csv = client.get("/ui/report.csv?year=2021").text
    assert "DGSN_MAROC" in csv and "40.0" in csv
    printable = client.get("/ui/report.html?year=2021")
    assert "size: A4" in printable.text and sentence in printable.text


def test_digests_and_status_pages(client: TestClient, engine: Engine) -> None:
    log_in(client)
    held = runs.claim(engine, day=date(2022, 1, 15), channel="json://hook/", now=NOW, lease=HOUR)
    assert held is not None
    runs.finish(engine, held, status=DeliveryStatus.SENT, now=NOW)
    archive = client.get("/ui/digests")
    assert archive.status_code == 200 and "/ui/digests/2022-01-16" in archive.text
    sent = archive.text.split('id="digest-runs"', 1)[1]
    assert '<a href="/ui/digests/2022-01-15">2022-01-15</a>' in sent
    assert "json://hook/" in sent and ">sent<" in sent and "2022-01-16 13:00" in sent
    today = client.get("/ui/digests/today")
    assert today.status_code == 200 and "<!DOCTYPE html>" in today.text
    status = client.get("/ui/status")
    assert status.status_code == 200 and 'id="platforms"' in status.text


def test_docs_are_served_offline(client: TestClient) -> None:
    log_in(client)
    page = client.get("/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/docs/assets/") for s in sources), sources
    assert "cdn" not in page.lower()
    for source in sources:
        assert client.get(source).status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/report" in schema["paths"] and "/ui/report" not in schema["paths"]


def test_without_a_token_loopback_pages_are_open_to_this_host_only(
    engine: Engine, tmp_path: Path
) -> None:
    settings = seed_dashboard(engine, tmp_path, token=None)
    app = create_app(settings, engine, clock=ManualClock(NOW), bound=("127.0.0.1", 8000))
    local = TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False)
    assert local.get("/").status_code == 200
    assert local.get("/login").headers["location"] == "/"
    assert "Log out" not in local.get("/").text
    rebound = TestClient(app, base_url="http://evil.example:8000", follow_redirects=False)
    assert rebound.get("/").status_code == 400
