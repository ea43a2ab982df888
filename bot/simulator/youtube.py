"""YouTube Data API v3 ``channels.list``: Google error bodies, rounded subscriber counts."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.clock import Clock
from bot.simulator.counters import created_at, kind_of
from bot.simulator.formats import iso_ms
from bot.simulator.limits import PlatformSim, RateWindow, WindowHit

PLATFORM = "youtube"
BATCH_MAX = 50
BAD_KEY = "bad-token"
DAILY_UNITS = 10_000  # per project per day; channels.list costs 1 unit
_PACIFIC = ZoneInfo("America/Los_Angeles")
QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)
_FILTERS = ("id", "forHandle", "forUsername", "mine", "categoryId", "managedByMe")
_CREATED_EARLIEST = datetime(2006, 1, 1, tzinfo=UTC)


def channel_id(handle: str) -> str:
    """A stable ``UC`` + 22 character channel id for ``handle`` (case-insensitive)."""
    digest = hashlib.sha256(f"youtube-id:{handle.lower()}".encode()).digest()
    return "UC" + base64.urlsafe_b64encode(digest).decode()[:22]


def rounded(subscribers: int) -> int:
    """Public subscriber counts are rounded down to 3 significant figures above 1,000."""
    if subscribers < 1000:
        return subscribers
    step = int(10 ** (len(str(subscribers)) - 3))
    return subscribers - subscribers % step


def error_body(
    status: int, message: str, reason: str, *, domain: str = "global", rpc: str = ""
) -> dict[str, Any]:
    """A Google API error object as ``googleapis.com`` sends it."""
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    if rpc:
        error["status"] = rpc
    return {"error": error}


def google_error(
    status: int, message: str, reason: str, *, domain: str = "global", rpc: str = ""
) -> web.Response:
    """A Google API error response."""
    body = error_body(status, message, reason, domain=domain, rpc=rpc)
    return web.json_response(body, status=status)


class PacificDayWindow(RateWindow):
    """The daily quota: windows run from midnight to midnight Pacific time (DST included)."""

    def __init__(self, clock: Clock, limit: int) -> None:
        super().__init__(clock, 86_400, limit)

    def index(self, now: datetime) -> int:
        """The Pacific calendar day of ``now``, as an ordinal."""
        return now.astimezone(_PACIFIC).date().toordinal()

    def end(self, now: datetime) -> datetime:
        """The next Pacific midnight, in UTC."""
        day = now.astimezone(_PACIFIC).date() + timedelta(days=1)
        midnight = datetime(day.year, day.month, day.day, tzinfo=_PACIFIC)
        return midnight.astimezone(UTC)


def _unregistered() -> web.Response:
    """No ``key``: the caller has no identity."""
    return google_error(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API.",
        "forbidden",
        rpc="PERMISSION_DENIED",
    )


def _bad_key() -> web.Response:
    """An invalid key: 400 with ``API_KEY_INVALID`` in the details."""
    return web.json_response(_bad_key_body(), status=400)


def _bad_key_body() -> dict[str, Any]:
    """The body of Google's answer to an invalid API key."""
    message = "API key not valid. Please pass a valid API key."
    body = error_body(400, message, "badRequest", rpc="INVALID_ARGUMENT")
    body["error"]["details"] = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "youtube.googleapis.com"},
        }
    ]
    return body


class YouTubeSim(PlatformSim):
    """Simulated ``www.googleapis.com``; channels resolved by handle are remembered by id.

    Past the daily quota it answers 403 ``quotaExceeded`` with no header saying when the
    quota returns (midnight Pacific). A refused key is a 400 ``API_KEY_INVALID``.
    """

    name = PLATFORM
    counter_platforms = (PLATFORM,)
    throttled_status = 403
    auth_error_status = 400

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, PacificDayWindow(clock, DAILY_UNITS))
        self.auth_error_body = _bad_key_body()
        self.quota_body = error_body(403, QUOTA_MESSAGE, "quotaExceeded", domain="youtube.quota")
        self.rate_limited_body = error_body(
            429,
            "Resource has been exhausted (e.g. check quota).",
            "rateLimitExceeded",
            rpc="RESOURCE_EXHAUSTED",
        )
        self.handles: dict[str, str] = {}

    def remember(self, handle: str) -> None:
        """Know the channel id of an ``@handle`` (``UC…`` ids are their own key)."""
        if handle.startswith("@"):
            key = "@" + handle.strip().lstrip("@").lower()
            self.handles.setdefault(channel_id(key), key)

    def routes(self) -> list[web.RouteDef]:
        """The one read route."""
        return [web.get("/youtube/v3/channels", self.channels)]

    @property
    def throttled_body(self) -> dict[str, Any]:
        """Running out of quota is a 403 ``quotaExceeded``, not a 429."""
        return self.quota_body

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """Google sends no rate-limit headers; the quota is visible only in the console."""
        return {}

    def key_of(self, channel: str) -> str | None:
        """The handle (or bare id) a requested id names; None when the sim omits it."""
        known = self.handles.get(channel)
        if known is not None:
            return known
        # Ids never resolved from a handle exist unless named "UCmissing…"/"UCsuspended…".
        if len(channel) == 24 and channel.startswith("UC") and kind_of(channel[2:]) == "ok":
            return channel
        return None

    def channel(self, key: str, parts: set[str]) -> dict[str, Any]:
        """The channel resource of ``key`` now; ``@hidden…`` handles hide their subscribers."""
        cid = key if key.startswith("UC") else channel_id(key)
        item: dict[str, Any] = {"kind": "youtube#channel", "etag": cid[2:12], "id": cid}
        if "snippet" in parts:
            item["snippet"] = {
                "title": f"{key.lstrip('@')} (simulated)",
                "description": f"Simulated channel {key}.",
                "publishedAt": iso_ms(created_at(PLATFORM, key, _CREATED_EARLIEST, 6_000)),
            }
            if key.startswith("@"):
                item["snippet"]["customUrl"] = key.lower()
        if "statistics" in parts:
            counts = self.counters(PLATFORM, key, self._clock())  # only when asked: glitches count
            hidden = key.lstrip("@").lower().startswith("hidden")
            stats: dict[str, Any] = {
                "viewCount": str(counts.followers * 150 + counts.posts * 40),
                "hiddenSubscriberCount": hidden,
                "videoCount": str(counts.posts),
            }
            if not hidden:
                stats["subscriberCount"] = str(rounded(counts.followers))
            item["statistics"] = stats
        return item

    async def channels(self, request: web.Request) -> web.Response:
        """``GET /youtube/v3/channels?part=…&(id=a,b|forHandle=@x)&key=…``."""
        key = request.query.get("key")
        if not key:
            return _unregistered()
        if key == BAD_KEY:
            return _bad_key()
        parts = {p.strip() for p in request.query.get("part", "").split(",") if p.strip()}
        if not parts:
            return google_error(400, "Required parameter: part", "required")
        filters = [name for name in _FILTERS if name in request.query]
        if len(filters) != 1:
            message = f"Exactly one of these filters must be specified: {', '.join(_FILTERS)}"
            return google_error(400, message, "invalidCriteria", domain="youtube.parameter")
        keys: list[str | None]
        if filters[0] == "id":
            ids = [i for i in request.query["id"].split(",") if i]
            if len(ids) > BATCH_MAX:
                message = f"The id parameter accepts at most {BATCH_MAX} ids."
                return google_error(400, message, "invalidValue", domain="youtube.parameter")
            keys = [self.key_of(i) for i in ids]
        elif filters[0] == "forHandle":
            handle = "@" + request.query["forHandle"].strip().lstrip("@").lower()
            keys = [handle if kind_of(handle) == "ok" else None]
            if keys[0] is not None:
                self.handles[channel_id(handle)] = handle
        else:
            keys = []
        items = [self.channel(k, parts) for k in dict.fromkeys(k for k in keys if k)]
        per_page = request.query.get("maxResults", "5")
        body: dict[str, Any] = {
            "kind": "youtube#channelListResponse",
            "etag": "simulated",
            "pageInfo": {
                "totalResults": len(items),
                "resultsPerPage": int(per_page) if per_page.isdigit() else 5,
            },
        }
        # Unknown and terminated channels: the answer simply has no "items" key.
        if items:
            body["items"] = items
        return web.json_response(body)
