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
        ('groups', '0005_history'),
        ('pghistory', '0007_auto_20250421_0444'),
        ('standing_orders', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='StandingOrderEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('amount', models.DecimalField(decimal_places=2, default=None, max_digits=14)),
                ('frequency', models.CharField(choices=[('DAILY', 'Daily'), ('WEEKLY', 'Weekly'), ('MONTHLY', 'Monthly'), ('YEARLY', 'Yearly')], max_length=8)),
                ('payment_method', models.CharField(choices=[('INTERNAL', 'Internal'), ('EXTERNAL', 'External')], default='INTERNAL', max_length=8)),
                ('description', models.CharField(blank=True, max_length=255)),
                ('start_date', models.DateField()),
                ('end_date', models.DateField(blank=True, null=True)),
                ('status', models.CharField(choices=[('ACTIVE', 'Active'), ('PAUSED', 'Paused'), ('SUSPENDED', 'Suspended'), ('COMPLETED', 'Completed'), ('CANCELLED', 'Cancelled')], default='ACTIVE', max_length=10)),
                ('status_reason', models.CharField(blank=True, max_length=255)),
                ('is_active', models.BooleanField(default=True)),
            ],
            options={
                'abstract': False,
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='standingorder',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "standing_orders_standingorderevent" ("amount", "description", "end_date", "frequency", "group_id", "is_active", "payment_method", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recipient_id", "start_date", "status", "status_reason", "user_id") VALUES (NEW."amount", NEW."description", NEW."end_date", NEW."frequency", NEW."group_id", NEW."is_active", NEW."payment_method", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."recipient_id", NEW."start_date", NEW."status", NEW."status_reason", NEW."user_id"); RETURN NULL;', hash='66dd5b0e1ed8fc4309979643d60733497057afd0', operation='INSERT', pgid='pgtrigger_insert_insert_ee963', table='standing_orders_standingorder', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='standingorder',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."amount" IS DISTINCT FROM (NEW."amount") OR OLD."description" IS DISTINCT FROM (NEW."description") OR OLD."end_date" IS DISTINCT FROM (NEW."end_date") OR OLD."frequency" IS DISTINCT FROM (NEW."frequency") OR OLD."group_id" IS DISTINCT FROM (NEW."group_id") OR OLD."is_active" IS DISTINCT FROM (NEW."is_active") OR OLD."payment_method" IS DISTINCT FROM (NEW."payment_method") OR OLD."recipient_id" IS DISTINCT FROM (NEW."recipient_id") OR OLD."start_date" IS DISTINCT FROM (NEW."start_date") OR OLD."status" IS DISTINCT FROM (NEW."status") OR OLD."status_reason" IS DISTINCT FROM (NEW."status_reason") OR OLD."user_id" IS DISTINCT FROM (NEW."user_id"))', func='INSERT INTO "standing_orders_standingorderevent" ("amount", "description", "end_date", "frequency", "group_id", "is_active", "payment_method", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recipient_id", "start_date", "status", "status_reason", "user_id") VALUES (NEW."amount", NEW."description", NEW."end_date", NEW."frequency", NEW."group_id", NEW."is_active", NEW."payment_method", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."recipient_id", NEW."start_date", NEW."status", NEW."status_reason", NEW."user_id"); RETURN NULL;', hash='36b2cf3c6a4c32c0251b84f560696772fa5f52e2', operation='UPDATE', pgid='pgtrigger_update_update_f82a1', table='standing_orders_standingorder', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='standingorder',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "standing_orders_standingorderevent" ("amount", "description", "end_date", "frequency", "group_id", "is_active", "payment_method", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "recipient_id", "start_date", "status", "status_reason", "user_id") VALUES (OLD."amount", OLD."description", OLD."end_date", OLD."frequency", OLD."group_id", OLD."is_active", OLD."payment_method", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."recipient_id", OLD."start_date", OLD."status", OLD."status_reason", OLD."user_id"); RETURN NULL;', hash='a3450cf1306655b7eea1d3385ed945105a980700', operation='DELETE', pgid='pgtrigger_delete_delete_26086', table='standing_orders_standingorder', when='AFTER')),
        ),
        migrations.AddField(
            model_name='standingorderevent',
            name='group',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='groups.paymentgroups'),
        ),
        migrations.AddField(
            model_name='standingorderevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='standingorderevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='user_recipient_group_amount_frequency_payment_method_description_start_date_end_date_status_status_reason_is_active_events', to='standing_orders.standingorder'),
        ),
        migrations.AddField(
            model_name='standingorderevent',
            name='recipient',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='standingorderevent',
            name='user',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='standingorderevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='06e5a68cf6be8842e49e9650152c164b2ac003ae', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_8704b', table='standing_orders_standingorderevent', when='BEFORE')),
        ),
        migrations.RunPython(baseline_snapshot("standing_orders_standingorder", "standing_orders_standingorderevent", ['user_id', 'recipient_id', 'group_id', 'amount', 'frequency', 'payment_method', 'description', 'start_date', 'end_date', 'status', 'status_reason', 'is_active']), migrations.RunPython.noop),
    ]
