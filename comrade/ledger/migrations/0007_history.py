"""History of editable rows (django-pghistory; PostgreSQL only: on SQLite the event tables stay
empty). Rows that exist already get a "baseline" snapshot."""

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.conf import settings
from django.db import migrations, models

from comrade.core.history import baseline_snapshot


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0006_pgtrigger_guards'),
        ('pghistory', '0007_auto_20250421_0444'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PaymentProfileEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('payment_methods', models.JSONField(blank=True, default=list)),
                ('default_payment_method', models.CharField(blank=True, max_length=64)),
            ],
            options={
                'abstract': False,
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='paymentprofile',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "ledger_paymentprofileevent" ("default_payment_method", "payment_methods", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "user_id") VALUES (NEW."default_payment_method", NEW."payment_methods", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."user_id"); RETURN NULL;', hash='7416dd395b79f6259dde2cb3ee60baccaa2842b1', operation='INSERT', pgid='pgtrigger_insert_insert_6d810', table='ledger_paymentprofile', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='paymentprofile',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."default_payment_method" IS DISTINCT FROM (NEW."default_payment_method") OR OLD."payment_methods" IS DISTINCT FROM (NEW."payment_methods") OR OLD."user_id" IS DISTINCT FROM (NEW."user_id"))', func='INSERT INTO "ledger_paymentprofileevent" ("default_payment_method", "payment_methods", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "user_id") VALUES (NEW."default_payment_method", NEW."payment_methods", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."user_id"); RETURN NULL;', hash='d50cea33fc4bcd743b5d9fadc46b332a186d5fd0', operation='UPDATE', pgid='pgtrigger_update_update_8afa7', table='ledger_paymentprofile', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='paymentprofile',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "ledger_paymentprofileevent" ("default_payment_method", "payment_methods", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "user_id") VALUES (OLD."default_payment_method", OLD."payment_methods", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."user_id"); RETURN NULL;', hash='85856b6e8752578b7face8d38ef8bf219314fa39', operation='DELETE', pgid='pgtrigger_delete_delete_dc26a', table='ledger_paymentprofile', when='AFTER')),
        ),
        migrations.AddField(
            model_name='paymentprofileevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='paymentprofileevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='user_payment_methods_default_payment_method_events', to='ledger.paymentprofile'),
        ),
        migrations.AddField(
            model_name='paymentprofileevent',
            name='user',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='paymentprofileevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='39c3bbdc56e93439d75e45f6b51a645da6b2812a', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_cdd9a', table='ledger_paymentprofileevent', when='BEFORE')),
        ),
        migrations.RunPython(baseline_snapshot("ledger_paymentprofile", "ledger_paymentprofileevent", ['user_id', 'payment_methods', 'default_payment_method']), migrations.RunPython.noop),
    ]
