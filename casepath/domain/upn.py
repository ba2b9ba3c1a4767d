"""Unique Pupil Numbers (UPN) as the DfE UPN guide defines them.

A permanent UPN is 13 characters: a check letter, then 12 digits (the LA code, the establishment
number, the year of allocation and a serial number). The check letter makes typing errors visible;
the CIN census rejects a UPN whose check letter is wrong (DfE rule 1510).
"""

from __future__ import annotations

import re

# DfE UPN guide: remainders 0-22 map to these letters (I, O and S are never used).
CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_PERMANENT_UPN = re.compile(r"[A-Z][0-9]{12}")
_LA_CODE = re.compile(r"[0-9]{3}")
MAX_SERIAL = 999_999_999


def check_letter(digits: str) -> str:
    """The check letter for the 12 digits of a UPN (characters 2-13)."""
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        raise ValueError("a UPN has 12 digits after its check letter")
    # DfE UPN guide: character n (2..13) is weighted n; the sum modulo 23 picks the letter.
    total = sum(int(digit) * weight for weight, digit in enumerate(digits, start=2))
    return CHECK_LETTERS[total % 23]


def upn_is_valid(upn: str) -> bool:
    """Whether `upn` is a well-formed permanent UPN with the right check letter."""
    if not _PERMANENT_UPN.fullmatch(upn):
        return False
    return upn[0] == check_letter(upn[1:])


def make_upn(la_code: str, serial: int) -> str:
    """A valid UPN for the three-digit `la_code`, numbered by `serial` (for tests and test data)."""
    if not _LA_CODE.fullmatch(la_code):
        raise ValueError(f"an LA code has three digits, not {la_code!r}")
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be between 0 and {MAX_SERIAL}")
    digits = f"{la_code}{serial:09d}"
    return check_letter(digits) + digits
