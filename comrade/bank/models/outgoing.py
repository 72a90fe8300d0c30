"""Saved bank accounts and pain.001 payment files (outgoing side)."""
