"""ledger_purchase(): a wallet purchase on PostgreSQL in one call (issue 12). What
`commerce.services.purchases` does step by step in one database transaction, in the same order: lock
the buyer's user row (FOR NO KEY UPDATE) and read their wallet and ACTIVE subscription's type, lock
what is bought FOR SHARE and check that it is still for sale, check the tier's limits (the amount,
and the purchases of the rolling month when the tier limits their number), find the sales revenue
shard of the buyer's wallet, then ledger_open_settled() on the wallet and the shard and, when it
completes, the Purchase row. Anything the step-by-step path would refuse (no such buyer, not for sale,
a tier limit, no wallet) or could not do here (the shard's account does not exist yet) comes back as a
refusal code and writes nothing: the caller then runs the step-by-step path, which raises the error or
creates the shard. Only ledger/services.py calls it. On SQLite nothing is installed."""

from django.db import migrations

from comrade.core.postgres_sql import on_postgres

FORWARD = """
CREATE OR REPLACE FUNCTION ledger_purchase(
    p_buyer bigint, p_product bigint, p_payment_item bigint, p_amount numeric,
    p_tiers jsonb, p_default_tier text, p_since timestamptz, p_revenue text, p_shards int,
    p_txn jsonb, p_purchase jsonb, p_shortfall text, p_failure_code text
) RETURNS TABLE (
    txn_id bigint, txn_status varchar, txn_failure_reason varchar, txn_failure_code varchar,
    purchase_id bigint, refusal text
) LANGUAGE plpgsql AS $$
DECLARE
    v_wallet bigint;
    v_type varchar;
    v_for_sale boolean;
    v_tier jsonb;
    v_shard int;
    v_revenue bigint;
    v_open record;
    v_purchase bigint;
BEGIN
    SELECT p.account_id, s.subscription_type INTO v_wallet, v_type
    FROM accounts_user u
    LEFT JOIN ledger_paymentprofile p ON p.user_id = u.id
    LEFT JOIN commerce_usersubscription s ON s.user_id = u.id AND s.status = 'ACTIVE'
    WHERE u.id = p_buyer
    FOR NO KEY UPDATE OF u;
    IF NOT FOUND THEN
        RETURN QUERY SELECT NULL::bigint, NULL::varchar, NULL::varchar, NULL::varchar, NULL::bigint, 'unknown_buyer';
        RETURN;
    END IF;

    IF p_product IS NOT NULL THEN
        SELECT is_available INTO v_for_sale FROM commerce_product WHERE id = p_product FOR SHARE;
    ELSE
        SELECT is_active INTO v_for_sale FROM commerce_paymentitem WHERE id = p_payment_item FOR SHARE;
    END IF;
    IF v_for_sale IS NOT TRUE THEN
        RETURN QUERY SELECT NULL::bigint, NULL::varchar, NULL::varchar, NULL::varchar, NULL::bigint, 'not_for_sale';
        RETURN;
    END IF;

    -- [max_purchase_amount, max_purchases_per_month] of the buyer's tier; null is no limit.
    -- The count is commerce.selectors.purchases_in_rolling_month: purchases since p_since and
    -- external purchase payments still in flight.
    v_tier := coalesce(p_tiers -> v_type, p_tiers -> p_default_tier);
    IF p_amount > (v_tier ->> 0)::numeric THEN
        RETURN QUERY SELECT NULL::bigint, NULL::varchar, NULL::varchar, NULL::varchar, NULL::bigint, 'tier_limit';
        RETURN;
    END IF;
    IF v_tier ->> 1 IS NOT NULL THEN  -- counted only when the tier limits the number
        IF (SELECT count(*) FROM commerce_purchase WHERE buyer_id = p_buyer AND created_at > p_since)
           + (SELECT count(*) FROM ledger_transactiontoken
              WHERE sender_id = p_buyer AND transaction_type = 'PURCHASE' AND payment_method = 'EXTERNAL'
                AND status IN ('PENDING', 'AUTHORIZED', 'VERIFIED') AND created_at > p_since)
           >= (v_tier ->> 1)::bigint THEN
            RETURN QUERY SELECT NULL::bigint, NULL::varchar, NULL::varchar, NULL::varchar, NULL::bigint, 'tier_limit';
            RETURN;
        END IF;
    END IF;

    IF v_wallet IS NULL THEN
        RETURN QUERY SELECT NULL::bigint, NULL::varchar, NULL::varchar, NULL::varchar, NULL::bigint, 'no_wallet';
        RETURN;
    END IF;

    -- ledger.services.revenue_account: shard k of the stream is `<p_revenue>:k`, shard 0 `<p_revenue>`.
    v_shard := v_wallet % p_shards;
    SELECT id INTO v_revenue FROM ledger_ledgeraccount
    WHERE code = CASE WHEN v_shard = 0 THEN p_revenue ELSE p_revenue || ':' || v_shard END;
    IF v_revenue IS NULL THEN
        RETURN QUERY SELECT NULL::bigint, NULL::varchar, NULL::varchar, NULL::varchar, NULL::bigint,
            'no_revenue_account';
        RETURN;
    END IF;

    SELECT * INTO v_open
    FROM ledger_open_settled(ARRAY[v_wallet, v_revenue], ARRAY[-p_amount, p_amount], p_txn, p_shortfall, p_failure_code);
    IF v_open.txn_status = 'COMPLETED' THEN
        INSERT INTO commerce_purchase (
            buyer_id, product_id, payment_item_id, quantity, unit_price, total, transaction_id, group_id, created_at)
        SELECT r.buyer_id, r.product_id, r.payment_item_id, r.quantity, r.unit_price, r.total, v_open.txn_id,
            r.group_id, r.created_at
        FROM jsonb_populate_record(NULL::commerce_purchase, p_purchase) AS r
        RETURNING id INTO v_purchase;
    END IF;
    RETURN QUERY SELECT v_open.txn_id, v_open.txn_status, v_open.txn_failure_reason, v_open.txn_failure_code,
        v_purchase, NULL::text;
END; $$;
"""

BACKWARD = (
    "DROP FUNCTION IF EXISTS ledger_purchase("
    "bigint, bigint, bigint, numeric, jsonb, text, timestamptz, text, int, jsonb, jsonb, text, text);"
)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0011_transfer_function")]

    operations = [migrations.RunPython(on_postgres(FORWARD), on_postgres(BACKWARD))]
