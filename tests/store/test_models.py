"""The table models: their pydantic validators are built when first needed, not at import."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from bot.kinds import AccountStatus
from bot.store.models import Account, Snapshot

# In a fresh interpreter: which of the models' validators and serializers exist after import.
PROBE = """
import json
from sqlmodel import SQLModel
import bot.store.models as m
models = [c for c in vars(m).values() if isinstance(c, type) and issubclass(c, SQLModel)
          and c.model_config.get("table")]
print(json.dumps({c.__name__: [type(c.__pydantic_validator__).__name__,
                               type(c.__pydantic_serializer__).__name__] for c in models}))
"""


@pytest.mark.process
def test_importing_the_models_builds_no_validator() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    built = json.loads(done.stdout)
    assert len(built) == 12
    assert all(kinds == ["MockValSer", "MockValSer"] for kinds in built.values()), built


def test_a_model_still_validates_and_dumps_when_asked() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    account = Account.model_validate({"platform": "x", "handle": "dgsn", "created_at": now})
    assert account.status == AccountStatus.ACTIVE and account.groups == []
    dumped = Snapshot(account_id=1, captured_at=now, followers=5).model_dump()
    assert dumped["followers"] == 5 and dumped["quality"] == "ok"
