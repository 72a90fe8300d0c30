"""ledger_open_settled(): `ledger.services.transaction_open_settled` on PostgreSQL in one call (issue
12). It locks the legs' accounts in id order, checks that no account that must stay non-negative
would go below zero, and writes the transaction with its outcome, its audit trail, and (when it
completes) its entries with their running balances and the accounts' cached figures: the same
rows the Python path writes on SQLite (a test compares every column). Only services.py calls it.
On SQLite nothing is installed."""

from django.db import migrations

from comrade.core.postgres_sql import on_postgres

FORWARD = """
CREATE OR REPLACE FUNCTION ledger_open_settled(
    p_accounts bigint[], p_amounts numeric[], p_txn jsonb, p_shortfall text, p_failure_code text
) RETURNS TABLE (txn_id bigint, txn_status varchar, txn_failure_reason varchar, txn_failure_code varchar)
LANGUAGE plpgsql AS $$
DECLARE
    short record;
    v_id bigint;
    v_status varchar := 'COMPLETED';
    v_reason varchar := '';
    v_code varchar := '';
    v_from text[] := ARRAY['', 'PENDING', 'AUTHORIZED', 'VERIFIED'];
    v_to text[] := ARRAY['PENDING', 'AUTHORIZED', 'VERIFIED', 'COMPLETED'];
    v_now timestamptz := (p_txn ->> 'created_at')::timestamptz;
    v_accounts int := (SELECT count(DISTINCT a) FROM unnest(p_accounts) AS a);
    v_updated int;
BEGIN
    PERFORM 1 FROM ledger_ledgeraccount WHERE id = ANY (p_accounts) ORDER BY id FOR UPDATE;

    SELECT a.balance, -n.change AS needed INTO short
    FROM (SELECT l.account_id, sum(l.amount) AS change, min(l.n) AS first_leg
          FROM unnest(p_accounts, p_amounts) WITH ORDINALITY AS l(account_id, amount, n)
          GROUP BY l.account_id) AS n
    JOIN ledger_ledgeraccount a ON a.id = n.account_id
    WHERE NOT a.allow_negative AND a.balance + n.change < 0
    ORDER BY n.first_leg
    LIMIT 1;
    IF FOUND THEN
        v_status := 'FAILED';
        v_reason := left(format(p_shortfall, short.balance, short.needed), 255);
        v_code := p_failure_code;
        v_from := ARRAY['', 'PENDING'];
        v_to := ARRAY['PENDING', 'FAILED'];
    END IF;

    INSERT INTO ledger_transactiontoken (
        sender_id, receiver_id, amount, currency, token, payment_method, external_payment_provider,
        transaction_type, status, description, metadata, authorization_code, verification_date,
        failure_reason, failure_code, related_transaction_id, idempotency_record_id, created_at, updated_at)
    SELECT r.sender_id, r.receiver_id, r.amount, r.currency, r.token, r.payment_method,
        r.external_payment_provider, r.transaction_type, v_status, r.description, r.metadata,
        r.authorization_code, CASE WHEN v_status = 'COMPLETED' THEN v_now END, v_reason, v_code,
        r.related_transaction_id, r.idempotency_record_id, r.created_at, r.updated_at
    FROM jsonb_populate_record(NULL::ledger_transactiontoken, p_txn) AS r
    RETURNING id INTO v_id;

    INSERT INTO ledger_transactionstatuschange (transaction_id, from_status, to_status, reason, created_at)
    SELECT v_id, s.from_status, s.to_status, CASE WHEN s.to_status = 'FAILED' THEN v_reason ELSE '' END, v_now
    FROM unnest(v_from, v_to) WITH ORDINALITY AS s(from_status, to_status, n)
    ORDER BY s.n;

    IF v_status = 'COMPLETED' THEN
        INSERT INTO ledger_ledgerentry (transaction_id, account_id, amount, balance_after, created_at)
        SELECT v_id, l.account_id, l.amount,
            a.balance + sum(l.amount) OVER (PARTITION BY l.account_id ORDER BY l.n), v_now
        FROM unnest(p_accounts, p_amounts) WITH ORDINALITY AS l(account_id, amount, n)
        JOIN ledger_ledgeraccount a ON a.id = l.account_id
        ORDER BY l.n;

        UPDATE ledger_ledgeraccount a
        SET balance = a.balance + n.change, total_in = a.total_in + n.credits, total_out = a.total_out + n.debits
        FROM (SELECT l.account_id, sum(l.amount) AS change, sum(GREATEST(l.amount, 0)) AS credits,
                     sum(GREATEST(-l.amount, 0)) AS debits
              FROM unnest(p_accounts, p_amounts) AS l(account_id, amount)
              GROUP BY l.account_id) AS n
        WHERE a.id = n.account_id;
        GET DIAGNOSTICS v_updated = ROW_COUNT;
        IF v_updated <> v_accounts THEN
            RAISE EXCEPTION 'updated % of % ledger accounts for %', v_updated, v_accounts, p_txn ->> 'token';
        END IF;
    END IF;

    RETURN QUERY SELECT v_id, v_status, v_reason, v_code;
END; $$;
"""

BACKWARD = "DROP FUNCTION IF EXISTS ledger_open_settled(bigint[], numeric[], jsonb, text, text);"


class Migration(migrations.Migration):
    dependencies = [("ledger", "0009_drop_redundant_indexes")]

    operations = [migrations.RunPython(on_postgres(FORWARD), on_postgres(BACKWARD))]
