"""The ledger's PostgreSQL guards, now declared on the models with django-pgtrigger (see
comrade/ledger/models.py), plus a new one: the status machine. The hand-written triggers of
0002_postgres_guards are dropped first, so a database migrated through 0002 and a fresh one end
with the same triggers. On SQLite nothing is installed or dropped."""

import importlib

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


def _run(name):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            guards = importlib.import_module("comrade.ledger.migrations.0002_postgres_guards")
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(getattr(guards, name))

    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0005_transaction_failure_code'),
    ]

    operations = [
        # Reversing this re-creates the hand-written triggers of 0002 (after pgtrigger's are removed).
        migrations.RunPython(_run("BACKWARD"), _run("FORWARD")),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerentry',
            trigger=pgtrigger.compiler.Trigger(name='entry_append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION '% on % is not allowed: the ledger is append-only', TG_OP, TG_TABLE_NAME;", hash='aa179ded38d26534c980a548be6966f59b8c494a', operation='UPDATE OR DELETE', pgid='pgtrigger_entry_append_only_50077', table='ledger_ledgerentry', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='ledgerentry',
            trigger=pgtrigger.compiler.Trigger(name='journal_balanced', sql=pgtrigger.compiler.UpsertTriggerSql(constraint='CONSTRAINT', declare='DECLARE total numeric;', func="\n                    SELECT COALESCE(SUM(amount), 0) INTO total FROM ledger_ledgerentry\n                        WHERE transaction_id = NEW.transaction_id;\n                    IF total <> 0 THEN\n                        RAISE EXCEPTION 'entries of transaction % sum to %, not zero', NEW.transaction_id, total;\n                    END IF;\n                    RETURN NULL;\n                ", hash='d9224038b0efefefd09c4bebb78a576cf644b3c4', operation='INSERT', pgid='pgtrigger_journal_balanced_19183', table='ledger_ledgerentry', timing='DEFERRABLE INITIALLY DEFERRED', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='transactionstatuschange',
            trigger=pgtrigger.compiler.Trigger(name='status_change_append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION '% on % is not allowed: the ledger is append-only', TG_OP, TG_TABLE_NAME;", hash='dc19cd76503543acace4f940fc66864186e8f570', operation='UPDATE OR DELETE', pgid='pgtrigger_status_change_append_only_f461b', table='ledger_transactionstatuschange', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='transactiontoken',
            trigger=pgtrigger.compiler.Trigger(name='token_immutable', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."token" IS DISTINCT FROM (NEW."token"))', func="RAISE EXCEPTION 'transaction token % is immutable', OLD.token;", hash='bd25c3078656611d364f5cd40bf2197fde54b5f8', operation='UPDATE', pgid='pgtrigger_token_immutable_376b2', table='ledger_transactiontoken', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='transactiontoken',
            trigger=pgtrigger.compiler.Trigger(name='status_machine', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."status" IS DISTINCT FROM (NEW."status"))', declare='DECLARE step record; at text;', func="\n            IF OLD.status || ':' || NEW.status = ANY('{AUTHORIZED:CANCELLED,AUTHORIZED:FAILED,AUTHORIZED:VERIFIED,PENDING:AUTHORIZED,PENDING:CANCELLED,PENDING:FAILED,VERIFIED:COMPLETED,VERIFIED:FAILED}'::text[]) THEN\n                RETURN NEW;\n            END IF;\n            at := OLD.status;\n            FOR step IN SELECT from_status, to_status FROM ledger_transactionstatuschange\n                WHERE transaction_id = NEW.id AND id > (\n                    SELECT MAX(id) FROM ledger_transactionstatuschange\n                    WHERE transaction_id = NEW.id AND to_status = OLD.status)\n                ORDER BY id\n            LOOP\n                EXIT WHEN step.from_status <> at OR NOT (at || ':' || step.to_status = ANY('{AUTHORIZED:CANCELLED,AUTHORIZED:FAILED,AUTHORIZED:VERIFIED,PENDING:AUTHORIZED,PENDING:CANCELLED,PENDING:FAILED,VERIFIED:COMPLETED,VERIFIED:FAILED}'::text[]));\n                at := step.to_status;\n            END LOOP;\n            IF at IS DISTINCT FROM NEW.status THEN\n                RAISE EXCEPTION 'transaction % may not go from % to %: not a step of ALLOWED_TRANSITIONS',\n                    OLD.token, OLD.status, NEW.status;\n            END IF;\n            RETURN NEW;\n        ", hash='7457a0f4f020da5fa7cfb17847a4a9c8403049ae', operation='UPDATE', pgid='pgtrigger_status_machine_0c2a5', table='ledger_transactiontoken', when='BEFORE')),
        ),
    ]
