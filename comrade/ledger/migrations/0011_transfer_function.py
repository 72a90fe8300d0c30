"""ledger_transfer(): a transfer on PostgreSQL in one call (issue 12): the receiver check of
`ledger.services.transfer_open_settled` (an active user with a wallet, not the sender) and then
ledger_open_settled() on the two wallets, so that a transfer is one round trip. A refused receiver
comes back as a code and writes nothing. Only services.py calls it. On SQLite nothing is installed."""

from django.db import migrations

from comrade.core.postgres_sql import on_postgres

FORWARD = """
CREATE OR REPLACE FUNCTION ledger_transfer(
    p_sender bigint, p_receiver bigint, p_amount numeric, p_txn jsonb, p_shortfall text, p_failure_code text
) RETURNS TABLE (
    txn_id bigint, txn_status varchar, txn_failure_reason varchar, txn_failure_code varchar, refusal text
) LANGUAGE plpgsql AS $$
DECLARE
    v_from bigint;
    v_to bigint;
BEGIN
    SELECT p.account_id INTO v_to FROM ledger_paymentprofile p JOIN accounts_user u ON u.id = p.user_id
    WHERE p.user_id = p_receiver AND u.is_active;
    IF v_to IS NULL OR p_receiver = p_sender THEN
        RETURN QUERY SELECT NULL::bigint, NULL::varchar, NULL::varchar, NULL::varchar,
            CASE WHEN v_to IS NULL THEN 'unknown_receiver' ELSE 'self_transfer' END;
        RETURN;
    END IF;
    SELECT account_id INTO STRICT v_from FROM ledger_paymentprofile WHERE user_id = p_sender;
    RETURN QUERY SELECT o.*, NULL::text
    FROM ledger_open_settled(ARRAY[v_from, v_to], ARRAY[-p_amount, p_amount], p_txn, p_shortfall, p_failure_code) AS o;
END; $$;
"""

BACKWARD = "DROP FUNCTION IF EXISTS ledger_transfer(bigint, bigint, numeric, jsonb, text, text);"


class Migration(migrations.Migration):
    dependencies = [("ledger", "0010_open_settled_function")]

    operations = [migrations.RunPython(on_postgres(FORWARD), on_postgres(BACKWARD))]
