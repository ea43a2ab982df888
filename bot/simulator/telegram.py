"""Telegram Bot API ``getChat`` and ``getChatMemberCount``, with the token in the path."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from aiohttp import web

from bot.clock import Clock
from bot.simulator.counters import kind_of
from bot.simulator.faults import RETRY_AFTER_SECONDS
from bot.simulator.limits import PlatformSim, RateWindow, WindowHit

PLATFORM = "telegram"
BAD_TOKEN = "bad-token"
# No published read limit; the FAQ's ~30 messages per second overall stands in for one.
RATE_LIMIT = 30
WINDOW_SECONDS = 1
UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}
_TOKEN = re.compile(r"^[0-9]+:[A-Za-z0-9_-]+$")
_USERNAME = re.compile(r"^@[A-Za-z0-9_]{5,32}$")
_NUMERIC = re.compile(r"^-?[0-9]+$")
_SUPERGROUP = "-100"
_COUNT_METHODS = ("getChatMemberCount", "getChatMembersCount")  # the old name still answers


def chat_id_for(username: str) -> int:
    """A stable supergroup/channel id (``-100`` + 10 digits, beyond 32 bits) for ``@name``."""
    value = int.from_bytes(hashlib.sha256(f"telegram-id:{username.lower()}".encode()).digest()[:8])
    return int(f"{_SUPERGROUP}{10**9 + value % (9 * 10**9)}")


def failure(status: int, description: str, **parameters: Any) -> web.Response:
    """The Bot API error envelope."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def success(result: Any) -> web.Response:
    """The Bot API success envelope."""
    return web.json_response({"ok": True, "result": result})


class TelegramSim(PlatformSim):
    """Simulated ``api.telegram.org``; ``@missing…``/``@suspended…`` chats are not found.

    A basic group id (negative, without the ``-100`` prefix) answers as migrated to
    ``-100<digits>``; any other ``-100…`` id exists, keyed by itself.
    """

    name = PLATFORM
    counter_platforms = (PLATFORM,)

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, RateWindow(clock, WINDOW_SECONDS, RATE_LIMIT))
        self.auth_error_body = dict(UNAUTHORIZED)
        self.rate_limited_body = {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {RETRY_AFTER_SECONDS}",
            "parameters": {"retry_after": RETRY_AFTER_SECONDS},
        }
        self.chats: dict[int, str] = {}

    def routes(self) -> list[web.RouteDef]:
        """Every method sits at ``/bot<token>/<method>``; GET and POST both work."""
        path = "/bot{token:[^/]*}/{method}"
        return [web.get(path, self.method), web.post(path, self.method)]

    def rate_headers(self, hit: WindowHit, *, exhausted: bool = False) -> dict[str, str]:
        """The Bot API sends no rate-limit headers; only 429 bodies carry ``retry_after``."""
        return {}

    def throttled(self, hit: WindowHit) -> web.Response:
        """Flood control: ``retry_after`` is the whole seconds until the window ends."""
        reset = hit.reset or self.window.end(hit.now)
        wait = max(1, math.ceil((reset - hit.now).total_seconds()))
        return failure(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    def resolve(self, chat_id: str) -> tuple[int, str] | web.Response:
        """(numeric id, counters key) of a ``chat_id`` parameter, or the error answer."""
        chat_id = chat_id.strip()
        if not chat_id:
            return failure(400, "Bad Request: chat_id is empty")
        if _USERNAME.match(chat_id):
            if kind_of(chat_id) != "ok":
                return failure(400, "Bad Request: chat not found")
            numeric = chat_id_for(chat_id)
            self.chats[numeric] = chat_id
            return numeric, chat_id
        if not _NUMERIC.match(chat_id):
            return failure(400, "Bad Request: chat not found")
        numeric = int(chat_id)
        if numeric in self.chats:
            return numeric, self.chats[numeric]
        if numeric < 0 and not chat_id.startswith(_SUPERGROUP):
            moved = int(f"{_SUPERGROUP}{-numeric}")
            self.chats[moved] = chat_id
            return failure(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=moved,
            )
        if chat_id.startswith(_SUPERGROUP):
            return numeric, chat_id
        return failure(400, "Bad Request: chat not found")

    def chat(self, numeric: int, key: str) -> dict[str, Any]:
        """A ChatFullInfo: channels for usernames, supergroups for numeric keys."""
        info: dict[str, Any] = {
            "id": numeric,
            "title": f"{key.lstrip('@')} (simulated)",
            "type": "channel" if key.startswith("@") else "supergroup",
            "description": f"Simulated chat {key}.",
            "accent_color_id": numeric % 7,
            "max_reaction_count": 11,
        }
        if key.startswith("@"):
            info["username"] = key[1:]
            info["active_usernames"] = [key[1:]]
        return info

    async def method(self, request: web.Request) -> web.Response:
        """Check the token, then answer ``getChat`` or the member count."""
        token = request.match_info["token"]
        if token == BAD_TOKEN:
            return failure(401, "Unauthorized")
        if not _TOKEN.match(token):
            return failure(404, "Not Found")
        name = request.match_info["method"]
        if name != "getChat" and name not in _COUNT_METHODS:
            return failure(404, "Not Found")
        params = request.query if request.method == "GET" else await request.post()
        raw = params.get("chat_id", "")
        resolved = self.resolve(raw if isinstance(raw, str) else "")
        if isinstance(resolved, web.Response):
            return resolved
        numeric, key = resolved
        if name == "getChat":
            return success(self.chat(numeric, key))
        return success(self.counters(PLATFORM, key, self._clock()).followers)
