"""PostgreSQL: a snapshot's account checked once per statement, not once per row.

The foreign key ``snapshot.account_id -> account.id`` ran one locking look-up of the account per
inserted row: on a 365,000-row ``bot import`` that was 1.8-3.6 s of the server's 2.9-4.7 s
(docs/development.md, ninth session). The same rule is now kept by triggers that see the whole
statement (transition tables), with the same locks, the same error and the same cascade:

- after an INSERT (COPY included), every account the new rows name is locked ``FOR KEY SHARE``
  in one query, as the per-row check locked each; one that is missing raises
  ``foreign_key_violation`` naming the key, as PostgreSQL's own check words it;
- an UPDATE that moves a snapshot to another account is checked the same way, row by row (rare);
- deleting accounts deletes their snapshots (``ON DELETE CASCADE``), one statement for all;
- changing a referenced account's id is refused (``NO ACTION``); ``TRUNCATE account CASCADE``
  empties ``snapshot`` too.

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

_UPGRADE = f"""
ALTER TABLE snapshot DROP CONSTRAINT {_CONSTRAINT};

CREATE FUNCTION snapshot_account_exists() RETURNS trigger LANGUAGE plpgsql AS $$
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
    locked := ARRAY(SELECT id FROM account WHERE id = ANY (wanted) FOR KEY SHARE);
    IF cardinality(locked) < cardinality(wanted) THEN
        RAISE EXCEPTION
            'insert or update on table "snapshot" violates foreign key constraint "{_CONSTRAINT}"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (account_id)=(%s) is not present in table "account".',
                                  (SELECT min(w) FROM unnest(wanted) AS w WHERE w <> ALL (locked))),
                  TABLE = 'snapshot', CONSTRAINT = '{_CONSTRAINT}';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER snapshot_account_inserted AFTER INSERT ON snapshot
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION snapshot_account_exists();

CREATE TRIGGER snapshot_account_moved AFTER UPDATE OF account_id ON snapshot
    FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id)
    EXECUTE FUNCTION snapshot_account_exists();

CREATE FUNCTION account_snapshots_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM snapshot WHERE account_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;

CREATE TRIGGER account_snapshots_deleted AFTER DELETE ON account
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION account_snapshots_deleted();

CREATE FUNCTION account_id_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM snapshot WHERE account_id = OLD.id) THEN
        RAISE EXCEPTION
            'update or delete on table "account" violates foreign key constraint'
            ' "{_CONSTRAINT}" on table "snapshot"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "snapshot".',
                                  OLD.id),
                  TABLE = 'account', CONSTRAINT = '{_CONSTRAINT}';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER account_id_kept AFTER UPDATE OF id ON account
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION account_id_kept();

CREATE FUNCTION account_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE snapshot;
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
