"""Mail addresses in logs: the first character of the mailbox name and the domain (pure)."""

from __future__ import annotations


def mask_address(address: str) -> str:
    local, at, domain = (address or "").partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"
