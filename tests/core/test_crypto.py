from __future__ import annotations

import hashlib

from cumberland.signals.crypto import digest_blocks


def test_one_pass_digests_equal_hashlib() -> None:
    blocks = [b"a" * 1000, b"b" * 3, b"", b"c" * 70000]
    data = b"".join(blocks)
    d = digest_blocks(blocks)
    assert d.md5 == hashlib.md5(data).digest()
    assert d.sha1 == hashlib.sha1(data).digest()
    assert d.sha256 == hashlib.sha256(data).digest()
    assert d.size == len(data)
