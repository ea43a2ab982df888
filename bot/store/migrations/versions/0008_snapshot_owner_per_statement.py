"""PostgreSQL: a snapshot's account checked once per statement, not once per row.

The foreign key ``snapshot.account_id -> account.id`` ran one locking look-up of the account per
inserted row: on a 365,000-row ``bot import`` that was 1.8-3.6 s of the server's 2.9-4.7 s
(``bench/snapshot_key.py``; docs/development.md, ninth session). The same rule is now kept by
triggers that see a whole statement (transition tables), with the key's locks and error:

- after an INSERT (COPY included), every account the new rows name is locked ``FOR KEY SHARE``
  in one query, as the per-row check locked each; one that is missing raises
  ``foreign_key_violation`` worded as PostgreSQL's own check words it;
- an UPDATE that moves a snapshot to another account is checked the same way, row by row (rare);
- deleting accounts deletes their snapshots (``ON DELETE CASCADE``), one statement for all;
- changing a referenced account's id is refused (``NO ACTION``);
- ``TRUNCATE account`` is refused while snapshots remain, ``CASCADE`` or not (the key made
  ``CASCADE`` empty them): ``TRUNCATE snapshot, account …`` names both.

Where they differ from the key: deleting, renumbering or truncating accounts asks for READ
COMMITTED (the bot's connections; the key rechecked at stricter levels with a view a function
cannot take), and the downgrade re-adds the key, which fails naming the row if any snapshot has
lost its account. ``tests/store/test_snapshot_owner.py`` holds both databases to these rules.

SQLite keeps the declared foreign key. The models still declare it: ``bot.store.owner`` tells
Alembic's comparison that on PostgreSQL the triggers stand for it.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_CONSTRAINT = "snapshot_account_id_fkey"

# Each function names its tables through the schema of the table its trigger is on (never the
# caller's search_path: bot schemas side by side in one database each keep their own rows), and runs
# as its owner, as the key's own checks do (a role that may write snapshots need not also be
# allowed to lock accounts).
_DEFINER = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp"

# A transaction that does not read the latest rows could miss snapshots another one stored since
# it began, and leave them without their account: PostgreSQL's own key rechecks with a newer view,
# which a function cannot. So deleting, renumbering or truncating accounts asks for READ
# COMMITTED, which the bot's own connections use (bot/store/db.py).
_READ_COMMITTED = """    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION
            'deleting, renumbering or truncating accounts needs READ COMMITTED isolation'
            ' (this transaction is %)', current_setting('transaction_isolation')
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'Snapshots another transaction stored since this one began would be'
                           ' left without their account.',
                  HINT = 'Run it in a READ COMMITTED transaction.';
    END IF;
"""

_UPGRADE = f"""
ALTER TABLE snapshot DROP CONSTRAINT {_CONSTRAINT};

CREATE FUNCTION snapshot_account_exists() RETURNS trigger LANGUAGE plpgsql {_DEFINER} AS $$
DECLARE
    wanted integer[];
    locked integer[];
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        wanted := ARRAY[NEW.account_id];
    ELSE
        wanted := ARRAY(SELECT DISTINCT account_id FROM new_rows);
    END IF;
    -- The lock the per-row check took: the account cannot be deleted, nor its id changed,
    -- until this transaction ends.
    EXECUTE format(
        'SELECT ARRAY(SELECT id FROM %I.account WHERE id = ANY ($1) FOR KEY SHARE)',
        TG_TABLE_SCHEMA
    ) INTO locked USING wanted;
    IF cardinality(locked) < cardinality(wanted) THEN
        RAISE EXCEPTION
            'insert or update on table "snapshot" violates foreign key constraint "{_CONSTRAINT}"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (account_id)=(%s) is not present in table "account".',
                                  (SELECT min(w) FROM unnest(wanted) AS w WHERE w <> ALL (locked))),
                  SCHEMA = TG_TABLE_SCHEMA, TABLE = 'snapshot', CONSTRAINT = '{_CONSTRAINT}';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER snapshot_account_inserted AFTER INSERT ON snapshot
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION snapshot_account_exists();

CREATE TRIGGER snapshot_account_moved AFTER UPDATE OF account_id ON snapshot
    FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id)
    EXECUTE FUNCTION snapshot_account_exists();

CREATE FUNCTION account_snapshots_deleted() RETURNS trigger LANGUAGE plpgsql {_DEFINER} AS $$
BEGIN
{_READ_COMMITTED}
    EXECUTE format(
        'DELETE FROM %I.snapshot WHERE account_id IN (SELECT id FROM old_rows)', TG_TABLE_SCHEMA
    );
    RETURN NULL;
END $$;

CREATE TRIGGER account_snapshots_deleted AFTER DELETE ON account
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION account_snapshots_deleted();

CREATE FUNCTION account_id_kept() RETURNS trigger LANGUAGE plpgsql {_DEFINER} AS $$
DECLARE
    named boolean;
BEGIN
{_READ_COMMITTED}
    EXECUTE format(
        'SELECT EXISTS (SELECT 1 FROM %I.snapshot WHERE account_id = $1)', TG_TABLE_SCHEMA
    ) INTO named USING OLD.id;
    IF named THEN
        RAISE EXCEPTION
            'update or delete on table "account" violates foreign key constraint'
            ' "{_CONSTRAINT}" on table "snapshot"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "snapshot".',
                                  OLD.id),
                  SCHEMA = TG_TABLE_SCHEMA, TABLE = 'snapshot', CONSTRAINT = '{_CONSTRAINT}';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER account_id_kept AFTER UPDATE OF id ON account
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION account_id_kept();

-- As the key refused: TRUNCATE of account alone while snapshots remain (CASCADE no longer
-- reaches snapshot, so it is refused too; naming both tables truncates both).
CREATE FUNCTION account_truncated() RETURNS trigger LANGUAGE plpgsql {_DEFINER} AS $$
DECLARE
    named boolean;
BEGIN
{_READ_COMMITTED}
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.snapshot)', TG_TABLE_SCHEMA) INTO named;
    IF named THEN
        RAISE EXCEPTION 'cannot truncate a table referenced in a foreign key constraint'
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'Table "snapshot" references "account".',
                  HINT = 'Truncate table "snapshot" at the same time.';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER account_truncated AFTER TRUNCATE ON account
    FOR EACH STATEMENT EXECUTE FUNCTION account_truncated();
"""

_DOWNGRADE = f"""
DROP TRIGGER account_truncated ON account;
DROP FUNCTION account_truncated();
DROP TRIGGER account_id_kept ON account;
DROP FUNCTION account_id_kept();
DROP TRIGGER account_snapshots_deleted ON account;
DROP FUNCTION account_snapshots_deleted();
DROP TRIGGER snapshot_account_moved ON snapshot;
DROP TRIGGER snapshot_account_inserted ON snapshot;
DROP FUNCTION snapshot_account_exists();
ALTER TABLE snapshot ADD CONSTRAINT {_CONSTRAINT}
    FOREIGN KEY (account_id) REFERENCES account (id) ON DELETE CASCADE;
"""


def upgrade() -> None:
    """On PostgreSQL, the per-row foreign key replaced by per-statement triggers."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_UPGRADE)


def downgrade() -> None:
    """The declared foreign key back (it checks every stored row as it is added)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_DOWNGRADE)
