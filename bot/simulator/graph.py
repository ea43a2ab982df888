"""Meta Graph API routes for Facebook Pages (multi-id read) and Instagram business_discovery."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.simulator.counters import kind_of
from bot.simulator.limits import PlatformSim, RateWindow, WindowHit

VERSION = "v21.0"
HOURLY_CALLS = 200
WINDOW_SECONDS = 3600
BATCH_MAX = 50
# A token the simulator accepts but treats as an app that lacks Page Public Metadata Access.
NO_PERMISSION_TOKEN = "no-permission"
# Recorded by sns-sdks/python-facebook (testdata/base/error_data.json, Apache-2.0).
MISSING_PERMISSION = (
    "(#100) Object does not exist, cannot be loaded due to missing permission or reviewable "
    "feature, or does not support this operation. This endpoint requires the "
    "'pages_read_engagement' permission or the 'Page Public Content Access' feature or the "
    "'Page Public Metadata Access' feature. Refer to "
    "https://developers.facebook.com/docs/apps/review/login-permissions#manage-pages, "
    "https://developers.facebook.com/docs/apps/review/feature#reference-PAGES_ACCESS and "
    "https://developers.facebook.com/docs/apps/review/feature#page-public-metadata-access "
    "for details."
)
_DISCOVERY = re.compile(r"business_discovery\.username\(([^)]*)\)\{([^}]*)\}")


def graph_id(kind: str, name: str, digits: int = 15) -> str:
    """A stable numeric Graph id for ``name`` (case-insensitive) of one object kind."""
    value = int.from_bytes(hashlib.sha256(f"{kind}:{name.lower()}".encode()).digest()[:8], "big")
    return str(10 ** (digits - 1) + value % (9 * 10 ** (digits - 1)))


def graph_error(message: str, code: int, status: int = 400, **more: Any) -> web.Response:
    """A Graph error body ``{"error": {...}}``."""
    trace = hashlib.sha256(message.encode()).hexdigest()[:23]
    error = {"message": message, "type": "OAuthException", "code": code, **more}
    return web.json_response({"error": {**error, "fbtrace_id": trace}}, status=status)


class GraphSim(PlatformSim):
    """Simulated graph.facebook.com: Pages by ``?ids=`` and Instagram business_discovery.

    Past its budget Graph answers code 4 in a 403 body, with no reset time (only X-App-Usage
    at 100%). Its auth error (code 190) comes with HTTP 400, as documented.
    """

    name = "graph"
    counter_platforms = ("facebook", "instagram")
    throttled_status = 403
    auth_error_status = 400

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, RateWindow(clock, WINDOW_SECONDS, HOURLY_CALLS))
        self.auth_error_body = {
            "error": {
                "message": "Error validating access token: Session has expired.",
                "type": "OAuthException",
                "code": 190,
                "error_subcode": 463,
                "fbtrace_id": "AsimulatedAuth",
            }
        }
        self.rate_limited_body = {
            "error": {
                "message": "(#4) Application request limit reached",
                "type": "OAuthException",
                "is_transient": True,
                "code": 4,
                "fbtrace_id": "AsimulatedRateLimit",
            }
        }
        self.pages: dict[str, str] = {}

    def routes(self) -> list[web.RouteDef]:
        """The multi-id read and the single-node read (Pages, or business_discovery)."""
        return [
            web.get(f"/{VERSION}/", self.multi),
            web.get(f"/{VERSION}/{{node}}", self.node),
        ]

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """``X-App-Usage``: percentages of the hourly platform budget."""
        percent = 100 if exhausted else min(100, hit.used * 100 // hit.limit)
        usage = {"call_count": percent, "total_cputime": percent // 4, "total_time": percent // 3}
        return {"x-app-usage": json.dumps(usage, separators=(",", ":"))}

    def _refused(self, request: web.Request) -> web.Response | None:
        """Code 104 without a token, 190 for ``bad-token``, 100 for ``no-permission``."""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() or request.query.get("access_token", "")
        if not token:
            return graph_error("An access token is required to request this resource.", 104)
        if token == "bad-token":
            return graph_error("Invalid OAuth access token - Cannot parse access token", 190)
        if token == NO_PERMISSION_TOKEN:
            # A valid token of an app without App Review: Meta's recorded words.
            return graph_error(MISSING_PERMISSION, 100)
        return None

    def remember(self, handle: str) -> None:
        """Know the id of a Page name."""
        self.pages.setdefault(graph_id("fb-page", handle), handle)

    def page(self, name: str, fields: list[str]) -> dict[str, Any]:
        """The Page node of ``name`` now, with the requested fields only."""
        page_id = graph_id("fb-page", name)
        self.pages.setdefault(page_id, name)
        name = self.pages[page_id]
        counts = self.counters("facebook", name, self._clock())
        full = {
            "id": page_id,
            "name": f"{name} (simulated)",
            "username": name,
            "followers_count": counts.followers,
            "fan_count": counts.followers * 9 // 10,
        }
        return {k: v for k, v in full.items() if k in fields or k == "id"}

    def _page_name(self, alias: str) -> str | None:
        """The Page an alias (username or served id) names; None when it does not exist."""
        name = self.pages.get(alias, None if alias.isdigit() else alias)
        return name if name is not None and kind_of(name) == "ok" else None

    async def multi(self, request: web.Request) -> web.Response:
        """``GET /vN/?ids=a,b&fields=...``: one unknown alias fails the whole request."""
        refused = self._refused(request)
        if refused is not None:
            return refused
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if not ids:
            return graph_error("(#100) The parameter ids is required", 100)
        if len(ids) > BATCH_MAX:
            return graph_error(f"(#100) Too many IDs. Maximum: {BATCH_MAX}.", 100)
        unknown = [i for i in ids if self._page_name(i) is None]
        if unknown:
            message = f"(#803) Some of the aliases you requested do not exist: {','.join(unknown)}"
            return graph_error(message, 803, status=404)
        fields = request.query.get("fields", "id,name").split(",")
        return web.json_response({i: self.page(self._page_name(i) or i, fields) for i in ids})

    async def node(self, request: web.Request) -> web.Response:
        """``GET /vN/{node}``: business_discovery on an IG user, or a single Page read."""
        refused = self._refused(request)
        if refused is not None:
            return refused
        node = request.match_info["node"]
        fields = request.query.get("fields", "id,name")
        discovery = _DISCOVERY.search(fields)
        if discovery is None:
            name = self._page_name(node)
            if name is None:
                return graph_error(
                    f"(#803) Some of the aliases you requested do not exist: {node}", 803, 404
                )
            return web.json_response(self.page(name, fields.split(",")))
        if not node.isdigit() or kind_of(node) != "ok":
            message = (
                f"Unsupported get request. Object with ID '{node}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation."
            )
            return graph_error(message, 100, error_subcode=33)
        return self._discover(node, discovery.group(1), discovery.group(2).split(","))

    def _discover(self, node: str, username: str, fields: list[str]) -> web.Response:
        """The business_discovery answer, or code 110 for unknown and personal accounts."""
        if not username or kind_of(username) != "ok":
            return graph_error(
                "Invalid user id",
                110,
                error_subcode=2207013,
                is_transient=False,
                error_user_title="Cannot find User",
                error_user_msg=f"The user with username: {username} cannot be found.",
            )
        counts = self.counters("instagram", username, self._clock())
        full = {
            "id": graph_id("ig-user", username, 17),
            "username": username.lower(),
            "name": f"{username} (simulated)",
            "followers_count": counts.followers,
            "follows_count": counts.following,
            "media_count": counts.posts,
        }
        found = {k: v for k, v in full.items() if k in fields or k == "id"}
        return web.json_response({"business_discovery": found, "id": node})
