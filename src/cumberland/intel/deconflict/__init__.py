"""Deconfliction: does another agency (or another team) hold the same media?

Exact matching by private set intersection (ECDH-PSI on P-256): the requesting agency learns
which of its media the responding agency holds, with the reference the responder chose to
release; the responder learns the size of the request. See docs/deconfliction.md.
"""
