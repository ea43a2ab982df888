"""The one exception tree of the bot.

Each error says whose fault it is: the user's (bad config or input, exit status 2), the
platform's (recorded on the account's poll attempt, the daemon keeps going), or ours (a bug).

    BotError
    ├── UserError                 the user's mistake; one clear line, exit status 2
    │   ├── ConfigError           config file or .env: names the file and the key
    │   ├── InputError            import file or query argument: names the line or the ``field``
    │   ├── UnknownAccountError   an ACCOUNT argument that is not configured or stored
    │   └── AlreadyRunningError   a second daemon on one SQLite file (exit status 1)
    └── PlatformError             a platform answered badly; carries an outcome for poll_attempt
        ├── RateLimitedError      429 or a throttling body; ``retry_after`` seconds when known
        ├── AuthError             401/403 or an auth error in the body; not retried
        ├── TransientError        5xx, timeouts, resets, truncated bodies; retried
        └── ParseError            a 2xx body without the id or the counters we need
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class UserError(BotError):
    """A mistake of the user's: reported as one line, exit status 2."""

    exit_code = 2


class ConfigError(UserError):
    """Invalid configuration: ``where`` names the file and the key."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")


class InputError(UserError):
    """Invalid input data or query argument; ``field`` names the argument, when it is one.

    The message is written for the face the user typed in (``--date: ...`` on the command line,
    ``date: ...`` in the API: see ``bot.text.Spelling``); the API also answers the ``field``.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownAccountError(UserError):
    """An account argument that matches no configured or stored account."""

    exit_code = 1


class AlreadyRunningError(UserError):
    """Another daemon holds this SQLite database."""

    exit_code = 1


class PlatformError(BotError):
    """A platform request failed; ``outcome`` is the poll_attempt outcome to record."""

    outcome = "http_error"

    def __init__(self, platform: str, message: str, *, http_status: int | None = None) -> None:
        self.platform = platform
        self.message = message
        self.http_status = http_status
        super().__init__(f"{platform}: {message}")


class RateLimitedError(PlatformError):
    """The platform asked us to slow down."""

    outcome = "rate_limited"

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        http_status: int | None = 429,
        retry_after: float | None = None,
        local: bool = False,
    ) -> None:
        super().__init__(platform, message, http_status=http_status)
        self.retry_after = retry_after
        # True when our own budget said "later": no request was sent, nothing to record.
        self.local = local


class AuthError(PlatformError):
    """The credentials were refused or are missing."""

    outcome = "auth_error"


class TransientError(PlatformError):
    """A failure that may pass on its own: 5xx, timeouts, broken connections."""

    outcome = "http_error"


class TimeoutError_(TransientError):
    """The request ran past its deadline."""

    outcome = "timeout"


class ParseError(PlatformError):
    """The response lacks the fields we need, or is not the JSON we expect."""

    outcome = "parse_error"
