"""Imported bank statements, their entries and the exceptions queue (incoming side)."""
