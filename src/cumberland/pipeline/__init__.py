"""Orchestration: enumerate sources, fingerprint items in workers, write results once."""
