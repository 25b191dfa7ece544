"""Streaming readers for known-hash lists (VICS, NSRL, hashdeep, *sum, HashKeeper, PDQ)."""
