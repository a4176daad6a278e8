"""Masked contacts shown on step 3B (``m***o@gmail.com``, ``+39 *** *** 4567``)."""

from __future__ import annotations

import phonenumbers

from .username import ContactKind


def mask_email(value: str) -> str:
    """Keep the first and last character of the local part (only the first if it is short).

    Also given what was typed as a username at login (audit subject): nothing before
    the ``@`` is just hidden.
    """
    local, _, domain = value.rpartition("@")
    hidden = local[0] + "***" + (local[-1] if len(local) > 2 else "") if local else "***"
    return f"{hidden}@{domain}"


def mask_mobile(value: str) -> str:
    """Keep the country code and the last four digits of an E.164 number."""
    number = phonenumbers.parse(value)
    national = phonenumbers.national_significant_number(number)
    return f"+{number.country_code} *** *** {national[-4:]}"


def mask_contact(kind: ContactKind, value: str) -> str:
    """Mask an email or mobile on file."""
    if kind == "email":
        return mask_email(value)
    if kind == "mobile":
        return mask_mobile(value)
    raise ValueError(f"unknown contact kind: {kind!r}")
