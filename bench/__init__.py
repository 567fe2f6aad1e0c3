"""The benchmark harness of issue #7: `bench/run.sh N` (see docs/performance.md)."""
