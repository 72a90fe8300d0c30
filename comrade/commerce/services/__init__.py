"""Commerce writes, one module per entity: catalogue (products, payment items), purchases,
subscriptions."""
