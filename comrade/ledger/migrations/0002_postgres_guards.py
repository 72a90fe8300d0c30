"""PostgreSQL guards for the ledger: entries and audit rows are append-only, a token never
changes, and at COMMIT every transaction's entries must sum to zero (a deferred constraint
trigger, so a journal may be written row by row inside one transaction). SQLite relies on the
model layer and `verify_ledger`."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the ledger is append-only', TG_OP, TG_TABLE_NAME;
END; $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_status_change_append_only BEFORE UPDATE OR DELETE ON ledger_transactionstatuschange
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE OR REPLACE FUNCTION ledger_token_immutable() RETURNS trigger AS $$
BEGIN
    IF NEW.token <> OLD.token THEN
        RAISE EXCEPTION 'transaction token % is immutable', OLD.token;
    END IF;
    RETURN NEW;
END; $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_token_immutable BEFORE UPDATE ON ledger_transactiontoken
    FOR EACH ROW EXECUTE FUNCTION ledger_token_immutable();

CREATE OR REPLACE FUNCTION ledger_journal_balanced() RETURNS trigger AS $$
DECLARE total numeric;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total FROM ledger_ledgerentry WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'entries of transaction % sum to %, not zero', NEW.transaction_id, total;
    END IF;
    RETURN NULL;
END; $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_journal_balanced AFTER INSERT ON ledger_ledgerentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_journal_balanced();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ledger_journal_balanced ON ledger_ledgerentry;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_ledgerentry;
DROP TRIGGER IF EXISTS ledger_status_change_append_only ON ledger_transactionstatuschange;
DROP TRIGGER IF EXISTS ledger_token_immutable ON ledger_transactiontoken;
DROP FUNCTION IF EXISTS ledger_journal_balanced();
DROP FUNCTION IF EXISTS ledger_token_immutable();
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
