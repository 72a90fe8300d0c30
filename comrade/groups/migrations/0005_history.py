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
        ('groups', '0004_merge_approvals_and_dues'),
        ('pghistory', '0007_auto_20250421_0444'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='GroupMemberEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('role', models.CharField(choices=[('ADMIN', 'Admin'), ('MEMBER', 'Member'), ('TREASURER', 'Treasurer')], default='MEMBER', max_length=9)),
                ('payout_position', models.PositiveIntegerField(blank=True, null=True)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='PaymentGroupEvent',
            fields=[
                ('pgh_id', models.AutoField(primary_key=True, serialize=False)),
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('name', models.CharField(max_length=120)),
                ('description', models.TextField(blank=True)),
                ('group_type', models.CharField(choices=[('SAVINGS', 'Savings'), ('PURCHASE', 'Purchase')], default='SAVINGS', max_length=8)),
                ('target_amount', models.DecimalField(blank=True, decimal_places=2, default=None, max_digits=14, null=True)),
                ('currency', models.CharField(default='USD', max_length=3)),
                ('deadline', models.DateField(blank=True, null=True)),
                ('is_active', models.BooleanField(default=True)),
                ('is_open', models.BooleanField(default=False, help_text='Anyone may join without an invitation.')),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('rotation_cycle', models.PositiveIntegerField(default=1, help_text='The current merry-go-round cycle.')),
                ('approvals_required', models.PositiveSmallIntegerField(default=1, help_text='Approvals (by ADMINs and TREASURERs) before money leaves the pot; 1 = the admin alone.')),
                ('rotation_requires_full_round', models.BooleanField(default=False, help_text="A rotation payout waits until every member's dues for the period are paid.")),
                ('rotation_auto', models.BooleanField(default=False, help_text='The scheduler pays the next member in the order once the round is complete.')),
            ],
            options={
                'abstract': False,
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='groupmembers',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "groups_groupmemberevent" ("group_id", "payout_position", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "role", "user_id") VALUES (NEW."group_id", NEW."payout_position", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."role", NEW."user_id"); RETURN NULL;', hash='ad78f4be5bb637d948e80c9c16d49308585ae446', operation='INSERT', pgid='pgtrigger_insert_insert_0d6a6', table='groups_groupmembers', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='groupmembers',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."group_id" IS DISTINCT FROM (NEW."group_id") OR OLD."payout_position" IS DISTINCT FROM (NEW."payout_position") OR OLD."role" IS DISTINCT FROM (NEW."role") OR OLD."user_id" IS DISTINCT FROM (NEW."user_id"))', func='INSERT INTO "groups_groupmemberevent" ("group_id", "payout_position", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "role", "user_id") VALUES (NEW."group_id", NEW."payout_position", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."role", NEW."user_id"); RETURN NULL;', hash='eaef0409c47c840f739a8f34b1beb5beafcc7003', operation='UPDATE', pgid='pgtrigger_update_update_05b3c', table='groups_groupmembers', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='groupmembers',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "groups_groupmemberevent" ("group_id", "payout_position", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "role", "user_id") VALUES (OLD."group_id", OLD."payout_position", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."role", OLD."user_id"); RETURN NULL;', hash='496f37328d7d67074d7b92ee72399f6e07d6c39a', operation='DELETE', pgid='pgtrigger_delete_delete_6ba5a', table='groups_groupmembers', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='paymentgroups',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "groups_paymentgroupevent" ("admin_id", "approvals_required", "closed_at", "currency", "deadline", "description", "group_type", "is_active", "is_open", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rotation_auto", "rotation_cycle", "rotation_requires_full_round", "target_amount") VALUES (NEW."admin_id", NEW."approvals_required", NEW."closed_at", NEW."currency", NEW."deadline", NEW."description", NEW."group_type", NEW."is_active", NEW."is_open", NEW."name", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."rotation_auto", NEW."rotation_cycle", NEW."rotation_requires_full_round", NEW."target_amount"); RETURN NULL;', hash='0ba44d4818d4dfd250ee8283928968f4d66e9bf6', operation='INSERT', pgid='pgtrigger_insert_insert_e895b', table='groups_paymentgroups', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='paymentgroups',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD."admin_id" IS DISTINCT FROM (NEW."admin_id") OR OLD."approvals_required" IS DISTINCT FROM (NEW."approvals_required") OR OLD."closed_at" IS DISTINCT FROM (NEW."closed_at") OR OLD."currency" IS DISTINCT FROM (NEW."currency") OR OLD."deadline" IS DISTINCT FROM (NEW."deadline") OR OLD."description" IS DISTINCT FROM (NEW."description") OR OLD."group_type" IS DISTINCT FROM (NEW."group_type") OR OLD."is_active" IS DISTINCT FROM (NEW."is_active") OR OLD."is_open" IS DISTINCT FROM (NEW."is_open") OR OLD."name" IS DISTINCT FROM (NEW."name") OR OLD."rotation_auto" IS DISTINCT FROM (NEW."rotation_auto") OR OLD."rotation_cycle" IS DISTINCT FROM (NEW."rotation_cycle") OR OLD."rotation_requires_full_round" IS DISTINCT FROM (NEW."rotation_requires_full_round") OR OLD."target_amount" IS DISTINCT FROM (NEW."target_amount"))', func='INSERT INTO "groups_paymentgroupevent" ("admin_id", "approvals_required", "closed_at", "currency", "deadline", "description", "group_type", "is_active", "is_open", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rotation_auto", "rotation_cycle", "rotation_requires_full_round", "target_amount") VALUES (NEW."admin_id", NEW."approvals_required", NEW."closed_at", NEW."currency", NEW."deadline", NEW."description", NEW."group_type", NEW."is_active", NEW."is_open", NEW."name", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."rotation_auto", NEW."rotation_cycle", NEW."rotation_requires_full_round", NEW."target_amount"); RETURN NULL;', hash='cf456247dcd250046b3b20122a68c7c70ddbcffb', operation='UPDATE', pgid='pgtrigger_update_update_dccce', table='groups_paymentgroups', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='paymentgroups',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "groups_paymentgroupevent" ("admin_id", "approvals_required", "closed_at", "currency", "deadline", "description", "group_type", "is_active", "is_open", "name", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "rotation_auto", "rotation_cycle", "rotation_requires_full_round", "target_amount") VALUES (OLD."admin_id", OLD."approvals_required", OLD."closed_at", OLD."currency", OLD."deadline", OLD."description", OLD."group_type", OLD."is_active", OLD."is_open", OLD."name", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."rotation_auto", OLD."rotation_cycle", OLD."rotation_requires_full_round", OLD."target_amount"); RETURN NULL;', hash='589f51f77c347497578e7d6ccef5fa6f39abafa1', operation='DELETE', pgid='pgtrigger_delete_delete_7efc1', table='groups_paymentgroups', when='AFTER')),
        ),
        migrations.AddField(
            model_name='groupmemberevent',
            name='group',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='groups.paymentgroups'),
        ),
        migrations.AddField(
            model_name='groupmemberevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='groupmemberevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='group_user_role_payout_position_events', to='groups.groupmembers'),
        ),
        migrations.AddField(
            model_name='groupmemberevent',
            name='user',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='paymentgroupevent',
            name='admin',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='paymentgroupevent',
            name='pgh_context',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='pghistory.context'),
        ),
        migrations.AddField(
            model_name='paymentgroupevent',
            name='pgh_obj',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='name_description_admin_group_type_target_amount_currency_deadline_is_active_is_open_closed_at_rotation_cycle_approvals_required_rotation_requires_full_round_rotation_auto_events', to='groups.paymentgroups'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='groupmemberevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='7cbcb7f378a95e69cf0b2226dde3d5ef0cb42c5f', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_e74c6', table='groups_groupmemberevent', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='paymentgroupevent',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;", hash='07ed0dce1ef2f39502820680a25dc0c7eecdc20f', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_2168c', table='groups_paymentgroupevent', when='BEFORE')),
        ),
        migrations.RunPython(baseline_snapshot("groups_paymentgroups", "groups_paymentgroupevent", ['name', 'description', 'admin_id', 'group_type', 'target_amount', 'currency', 'deadline', 'is_active', 'is_open', 'closed_at', 'rotation_cycle', 'approvals_required', 'rotation_requires_full_round', 'rotation_auto']), migrations.RunPython.noop),
        migrations.RunPython(baseline_snapshot("groups_groupmembers", "groups_groupmemberevent", ['group_id', 'user_id', 'role', 'payout_position']), migrations.RunPython.noop),
    ]
