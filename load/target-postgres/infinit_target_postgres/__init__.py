"""MeltanoLabs target-postgres with a faster bulk load path (see sink.py)."""
