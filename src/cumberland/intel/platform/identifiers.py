"""Identifiers in the one form that makes equal things equal.

E-mail addresses follow their provider's rules: Gmail ignores dots and ``+tags`` in the local
part (and googlemail.com is gmail.com); Outlook, iCloud, Proton and Fastmail ignore ``+tags``;
Yahoo ignores ``-tags``. Other providers keep both (a dot there may be a different mailbox),
unless the mapping says otherwise. Bech32 and hex crypto addresses are case-insensitive;
base58 ones are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True, slots=True)
class Provider:
    dots: bool = False  # dots in the local part are ignored
    tag: str | None = None  # a character starting an ignored tag ("+", "-")
    alias_of: str | None = None  # another domain for the same mailboxes


PROVIDERS: dict[str, Provider] = {
    "gmail.com": Provider(dots=True, tag="+"),
    "googlemail.com": Provider(dots=True, tag="+", alias_of="gmail.com"),
    **{domain: Provider(tag="+") for domain in (
        "outlook.com", "hotmail.com", "live.com", "msn.com", "icloud.com", "me.com",
        "mac.com", "protonmail.com", "proton.me", "pm.me", "fastmail.com")},
    **{domain: Provider(tag="-") for domain in ("yahoo.com", "ymail.com")},
}


def normalise_email(raw: str, providers: dict[str, Provider]) -> str | None:
    """``local@domain`` folded by the provider's rules; None when it is not an address."""
    text = raw.strip().lower()
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or " " in text:
        return None
    rules = providers.get(domain) or PROVIDERS.get(domain) or Provider()
    if rules.tag and rules.tag in local:
        local = local.split(rules.tag, 1)[0]
    if rules.dots:
        local = local.replace(".", "")
    return f"{local}@{rules.alias_of or domain}" if local else None


# Second-level domains that are sold worldwide: their ccTLD says nothing about a country.
GENERIC_CCTLDS = frozenset({"io", "co", "me", "tv", "ai", "cc", "ws", "fm", "am", "to", "ly",
                            "gg", "sh", "app", "nu", "tk", "ml", "ga", "cf", "gq", "su", "eu"})
CCTLD_COUNTRY = {"uk": "GB"}


def email_country(address: str) -> str | None:
    """The country an address's top-level domain names (``.de`` → DE), if any."""
    tld = address.rsplit(".", 1)[-1].lower()
    if len(tld) != 2 or not tld.isalpha() or tld in GENERIC_CCTLDS:
        return None
    return CCTLD_COUNTRY.get(tld, tld.upper())


_BECH32 = re.compile(r"^(bc|tb|ltc|bcrt)1[0-9a-z]{8,87}$")


def normalise_crypto(raw: str) -> str:
    text = raw.strip()
    lower = text.lower()
    if lower.startswith("0x") or _BECH32.match(lower):
        return lower
    return text


def normalise_reference(raw: str, processor: str | None) -> str:
    """A card or processor reference, scoped to its processor (two processors' ids may
    collide without meaning the same card)."""
    ref = re.sub(r"\s+", "", raw).upper()
    return f"{processor.strip().lower()}:{ref}" if processor else ref


def normalise_phone(raw: str, region: str | None) -> tuple[str, str | None] | None:
    """E.164 form and the number's country, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.region_code_for_number(number)
