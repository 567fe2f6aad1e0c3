"""tap-csv: contract-checked, incremental extraction of file drops."""
