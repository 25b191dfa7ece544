"""Matching a case's media against known material (exact digests, then PDQ)."""
