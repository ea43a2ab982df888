"""A worker restarted on its host frees the leases of that host's dead workers, no one else's."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from bot.daemon.runtime import dead_workers
from bot.store.claims import lease_owners
from bot.store.tables import ACCOUNT

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def gone_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_this_host_s_dead_workers_and_a_previous_life_are_dead() -> None:
    alive, dead = os.getpid(), gone_pid()
    owners = {f"here:{alive}", f"here:{dead}", f"there:{dead}", "here:1234x", "here:77"}
    found = dead_workers(owners, me="here:77")
    # Our own name is a previous life (a container restarted with the same pid).
    assert sorted(found) == sorted([f"here:{dead}", "here:77"])


def test_lease_owners_lists_a_host_s_holders_only(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(ACCOUNT),
            [
                {
                    "platform": "github",
                    "handle": f"user{i}",
                    "groups": [],
                    "status": "active",
                    "created_at": T0,
                    "lease_owner": owner,
                    "lease_until": T0 + timedelta(minutes=10) if owner else None,
                }
                for i, owner in enumerate(["a_b:1", "a_b:1", "a%b:2", "axb:3", None])
            ],
        )
    # ``_`` and ``%`` in a host name are letters here, not patterns.
    assert lease_owners(engine, "a_b:") == {"a_b:1"}
    assert lease_owners(engine, "a%b:") == {"a%b:2"}
