"""Helpers shared by the tests and the benchmarks: one per job (DESIGN.md, style rule 11)."""
