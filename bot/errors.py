"""The one exception tree of the bot.

Each error says whose fault it is: the user's (bad config or input, exit status 2), the
platform's (recorded on the account's poll attempt, the daemon keeps going), or ours (a bug).
A platform error also says, in ``counts_against_platform``, whether it counts toward opening
that platform's breaker: only failures that say the platform is unwell do (marked * below).

    BotError
    ├── UserError                 the user's mistake; one clear line, exit status 2
    │   ├── ConfigError           config file or .env: names the file and the key
    │   ├── InputError            import file or query argument: names the line or the ``field``
    │   ├── UnknownAccountError   an ACCOUNT argument that is not configured or stored
    │   └── AlreadyRunningError   a second daemon on one SQLite file (exit status 1)
    └── PlatformError *           a platform answered badly; carries an outcome for poll_attempt;
        │                         bare, it is a status no rule maps (an unexpected 4xx, a 3xx)
        ├── RateLimitedError      429 or a throttling body; ``retry_after`` seconds when known
        ├── AuthError             401/403 or an auth error in the body; not retried
        ├── TransientError *      5xx, resets, truncated bodies; retried
        │   └── TimeoutError_ *   no complete answer within the deadline; retried
        ├── ParseError            a 2xx body that is not JSON, or lacks the id or the counters
        ├── RefusedAddressError   the host is or resolves to a private address: never requested
        └── GoneError             the target is gone (not found, suspended); the adapter turns
                                  it into a ``Missing`` result, never a failed poll
"""

from __future__ import annotations

from typing import ClassVar, Literal

from bot.kinds import PollOutcome

# What a gone target becomes: the account's status, never a zero count.
MissingStatus = Literal["not_found", "suspended"]


class BotError(Exception):
    """Base of every error the bot raises on purpose."""

    # Whether this failure counts toward opening the platform's breaker (never the user's).
    counts_against_platform: ClassVar[bool] = False


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
    ``date: ...`` in the API: see ``bot.output.text.Spelling``); the API also answers the ``field``.
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

    outcome: ClassVar[PollOutcome] = PollOutcome.HTTP_ERROR
    counts_against_platform: ClassVar[bool] = True

    def __init__(self, platform: str, message: str, *, http_status: int | None = None) -> None:
        self.platform = platform
        self.message = message
        self.http_status = http_status
        super().__init__(f"{platform}: {message}")


class RateLimitedError(PlatformError):
    """The platform asked us to slow down."""

    outcome = PollOutcome.RATE_LIMITED
    # A 429 pauses the platform until its reset instead.
    counts_against_platform: ClassVar[bool] = False

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
    """The credentials were refused or are missing; ``missing_permission``: valid but not enough."""

    outcome = PollOutcome.AUTH_ERROR
    # Our credentials, not the platform's health: the account says auth_error instead.
    counts_against_platform: ClassVar[bool] = False

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        http_status: int | None = None,
        missing_permission: bool | None = None,
    ) -> None:
        super().__init__(platform, message, http_status=http_status)
        # `bot check` tells a wrong token from a missing permission; HTTP says 401 from 403,
        # platforms that answer 400 for both (Graph) say which.
        self.missing_permission = (
            http_status == 403 if missing_permission is None else missing_permission
        )


class TransientError(PlatformError):
    """A failure that may pass on its own: 5xx, timeouts, broken connections."""

    outcome = PollOutcome.HTTP_ERROR
    counts_against_platform: ClassVar[bool] = True


class TimeoutError_(TransientError):
    """The request ran past its deadline."""

    outcome = PollOutcome.TIMEOUT
    counts_against_platform: ClassVar[bool] = True


class ParseError(PlatformError):
    """The response lacks the fields we need, or is not the JSON we expect."""

    outcome = PollOutcome.PARSE_ERROR
    # One odd body is not an outage: the account records parse_error, the platform stays open.
    counts_against_platform: ClassVar[bool] = False


class RefusedAddressError(PlatformError):
    """The request's host is, or resolves to, a private address its platform may not reach."""

    # No request was sent: a matter of configuration (or a hostile DNS), not the platform's health.
    outcome = PollOutcome.HTTP_ERROR
    counts_against_platform: ClassVar[bool] = False


class GoneError(PlatformError):
    """The platform says the target is gone; ``names`` are the ids or aliases it named, if any."""

    # Adapters turn it into ``Missing``; one that escapes a batch names no account we can mark.
    outcome = PollOutcome.HTTP_ERROR
    counts_against_platform: ClassVar[bool] = False

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        status: MissingStatus = "not_found",
        names: tuple[str, ...] = (),
        http_status: int | None = None,
    ) -> None:
        super().__init__(platform, message, http_status=http_status)
        self.status: MissingStatus = status
        self.names = names
