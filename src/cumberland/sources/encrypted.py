"""Encrypted volumes inside disk images: BitLocker, LUKS, FileVault 2 (CoreStorage).

A volume TSK cannot read is checked for these signatures. Without a key it is recorded as
an ``encrypted`` item saying what would open it; with the examiner's keys
(``Settings.volume_keys``: a file of passwords / recovery passwords, one a line, kept out of
the database) BitLocker (libbde) and LUKS (libluksde) volumes are unlocked and their file
systems read like any other. FileVault 2 is only recognised: libfvde needs the volume
group's EncryptedRoot.plist as well as the password, which an image alone does not give.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from contextlib import ExitStack
from functools import cache
from typing import Any

from cumberland.sources.locator import CRYPT_SCHEMES
from cumberland.sources.random_access import ReadAt, ReadAtFile

# scheme -> what opens it
_NEEDS = {
    "bitlocker": "a recovery password or password (--volume-keys FILE)",
    "luks": "its passphrase (--volume-keys FILE)",
    "filevault": "the password and the volume group's EncryptedRoot.plist (not opened by "
                 "Cumberland)",
}
# scheme -> (display name, what opens it)
SCHEMES = {scheme: (name, _NEEDS[scheme]) for scheme, name in CRYPT_SCHEMES.items()}
# scheme -> (libyal module, volume class, password setters tried in order)
_LIBRARIES = {"bitlocker": ("pybde", "volume", ("set_recovery_password", "set_password")),
              "luks": ("pyluksde", "volume", ("set_password",))}


def scheme_of(head: bytes) -> str | None:
    """The encryption a volume's first 4 KiB announce, or None."""
    if head[3:11] == b"-FVE-FS-":
        return "bitlocker"
    if head[:6] == b"LUKS\xba\xbe":
        return "luks"
    if head[88:90] == b"CS" and int.from_bytes(head[92:96], "little") in (1, 2):
        return "filevault"
    return None


def unlock(stack: ExitStack, scheme: str, read_at: ReadAt, offset: int, size: int,
           keys: Sequence[str]) -> tuple[ReadAt, int] | None:
    """The decrypted volume as (read_at, size), or None when no key given opens it (or the
    scheme cannot be opened here). The library handle stays open until ``stack`` closes."""
    if scheme not in _LIBRARIES or not keys:
        return None
    module, factory, setters = _LIBRARIES[scheme]
    library = importlib.import_module(module)

    def sealed(at: int, n: int) -> bytes:  # the encrypted bytes, from the volume's start
        return read_at(offset + at, n)

    for key in keys:
        for setter in setters:
            volume = getattr(library, factory)()
            try:
                getattr(volume, setter)(key)
                volume.open_file_object(ReadAtFile(sealed, size - offset))
                if volume.is_locked() and not volume.unlock():
                    volume.close()
                    continue
            except (OSError, RuntimeError, ValueError, TypeError):
                continue  # a key of the wrong form for this setter, or the wrong key
            stack.callback(volume.close)
            length = int(volume.get_size())

            def decrypted(at: int, n: int, v: Any = volume, end: int = length) -> bytes:
                return bytes(v.read_buffer_at_offset(min(n, max(0, end - at)), at))

            return decrypted, length
    return None


@cache
def load_keys(path: str | None) -> tuple[str, ...]:
    """The examiner's volume keys, one a line (blank lines ignored); read once a process."""
    if not path:
        return ()
    with open(path, encoding="utf-8") as fh:
        return tuple(line.strip() for line in fh if line.strip())
