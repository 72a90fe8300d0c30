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
        ('accounts', '0002_user_email_verified_at'),
        ('pghistory', '0007_auto_20250421_0444'),
    ]

    operations = [
        migrations.CreateModel(
            name='UserAccessEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('is_staff', models.BooleanField(default=False)),
                ('is_superuser', models.BooleanField(default=False, help_text='Designates that this user has all permissions without explicitly assigning them.', verbose_name='superuser status')),
                ('is_active', models.BooleanField(default=True)),
            ],
            options={
                'abstract': False,
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='user',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "accounts_useraccessevent" ("is_active", "is_staff", "is_superuser", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (NEW."is_active", NEW."is_staff", NEW."is_superuser", _pgh_attach_context(), NOW(), \'insert\', NEW."id"); RETURN NULL;', hash='ad044b66d18b9483da5b53511d4631c071190326', operation='INSERT', pgid='pgtrigger_insert_insert_3867c', table='accounts_user', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='user',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."is_active" IS DISTINCT FROM (NEW."is_active") OR OLD."is_staff" IS DISTINCT FROM (NEW."is_staff") OR OLD."is_superuser" IS DISTINCT FROM (NEW."is_superuser"))', func='INSERT INTO "accounts_useraccessevent" ("is_active", "is_staff", "is_superuser", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (NEW."is_active", NEW."is_staff", NEW."is_superuser", _pgh_attach_context(), NOW(), \'update\', NEW."id"); RETURN NULL;', hash='089d54bdeeeab2ace910a8ed069e463a62dd9925', operation='UPDATE', pgid='pgtrigger_update_update_0e890', table='accounts_user', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='user',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "accounts_useraccessevent" ("is_active", "is_staff", "is_superuser", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id") VALUES (OLD."is_active", OLD."is_staff", OLD."is_superuser", _pgh_attach_context(), NOW(), \'delete\', OLD."id"); RETURN NULL;', hash='bf8f784ed347959b9dcbd94d6286c8560801b80e', operation='DELETE', pgid='pgtrigger_delete_delete_19f14', table='accounts_user', when='AFTER')),
        ),
        migrations.AddField(
            model_name='useraccessevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='useraccessevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='is_staff_is_superuser_is_active_events', to=settings.AUTH_USER_MODEL),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='useraccessevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='e28b17f93c5c69992f28cbc97b3e48383b6745f9', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_d1c00', table='accounts_useraccessevent', when='BEFORE')),
        ),
        migrations.RunPython(baseline_snapshot("accounts_user", "accounts_useraccessevent", ['is_staff', 'is_superuser', 'is_active']), migrations.RunPython.noop),
    ]
