"""The dashboard's Jinja environment: autoescaped templates, local-time and number filters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse
from jinja2 import Environment

from bot.config import Settings
from bot.http.redact import Redactor
from bot.output.text import NULL
from bot.query.report_html import environment

HERE = Path(__file__).parent
# Nothing is fetched from elsewhere: scripts, styles, fonts and images come from this server
# (or are inline); the page may be framed by no one.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
    " frame-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'"
)


def account_url(platform: str, handle: str) -> str:
    """The account page's path (the handle's slash kept: Reddit's ``r/name``)."""
    return f"/ui/accounts/{quote(platform, safe='')}/{quote(handle, safe='/')}"


class Pages:
    """Renders the dashboard's templates with what every page shows."""

    def __init__(self, settings: Settings, *, login_required: bool) -> None:
        self._env: Environment = environment(HERE / "templates")
        tz = settings.timezone
        redact = Redactor(settings.secret_values())

        def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
            return NULL if value is None else value.astimezone(tz).strftime(fmt)

        self._env.filters.update(
            local=local,
            localtime=lambda v: local(v, "%H:%M"),
            localday=lambda v: local(v, "%Y-%m-%d"),
            redact=lambda v: redact(str(v)) if v else "",
        )
        self._env.globals.update(
            zone=tz.key, login_required=login_required, account_url=account_url, bare=False
        )

    def page(self, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        """``templates/<name>.html`` as a response, with the security headers every page has."""
        body = self._env.get_template(f"{name}.html").render(**values)
        return HTMLResponse(body, status_code=status, headers=headers())


def headers() -> dict[str, str]:
    """What every dashboard answer carries: the content policy, no caching, no sniffing."""
    return {
        "Content-Security-Policy": POLICY,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
