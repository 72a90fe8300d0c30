"""The deferred balanced-journal trigger executes a plain function, ledger_check_journal_balanced(),
instead of the one pgtrigger generates, whose per-row `_pgtrigger_should_ignore()` call aborts a
subtransaction per entry and made committing n entries O(n^2) (see JournalBalanced in
comrade/ledger/models.py). Same check, same trigger name, same timing (DEFERRABLE INITIALLY
DEFERRED). On SQLite nothing is installed."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION ledger_check_journal_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE total numeric;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total FROM ledger_ledgerentry
        WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'entries of transaction % sum to %, not zero', NEW.transaction_id, total;
    END IF;
    RETURN NULL;
END; $$;
"""

BACKWARD = "DROP FUNCTION IF EXISTS ledger_check_journal_balanced();"


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0007_history'),
    ]

    operations = [
        # The function first: the new trigger executes it (and is removed before it on the way back).
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
        pgtrigger.migrations.RemoveTrigger(
            model_name='ledgerentry',
            name='journal_balanced',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerentry',
            trigger=pgtrigger.compiler.Trigger(name='journal_balanced', sql=pgtrigger.compiler.UpsertTriggerSql(constraint='CONSTRAINT', declare='DECLARE total numeric;', execute='ledger_check_journal_balanced()', func="\n    SELECT COALESCE(SUM(amount), 0) INTO total FROM ledger_ledgerentry\n        WHERE transaction_id = NEW.transaction_id;\n    IF total <> 0 THEN\n        RAISE EXCEPTION 'entries of transaction % sum to %, not zero', NEW.transaction_id, total;\n    END IF;\n    RETURN NULL;\n", hash='f34761c1919cd5317abc81040ebdd5a4c620815c', operation='INSERT', pgid='pgtrigger_journal_balanced_19183', table='ledger_ledgerentry', timing='DEFERRABLE INITIALLY DEFERRED', when='AFTER')),
        ),
    ]
