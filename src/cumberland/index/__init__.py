"""Lookup structures for known hashes: exact digests and PDQ within a Hamming radius."""
