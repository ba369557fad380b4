"""Codes for medicines and substances, checked by their format (not looked up).

No maintained table mapping medicine names to dm+d or RxNorm codes can be installed offline:
dm+d is released through NHS TRUD under a licence, and RxNorm's full release needs a UMLS
licence. So Alongside does not guess a code from a name. It accepts the code a clinician types
or an import carries, checks that its system is one it knows and that the code has that
system's form, and keeps it unchanged through export and import (docs/fhir.md).
"""

from __future__ import annotations

import re

from stdnum import verhoeff

from .vocab import CodeSystem

# An RxNorm concept unique identifier (RXCUI) is a positive whole number (NLM RxNorm Technical
# Documentation, "RXCUI"); the largest in use have seven digits, eight leaves room.
_RXCUI = re.compile(r"^[1-9][0-9]{0,7}$")
# A SNOMED CT identifier is 6 to 18 digits with no leading zero, ending in a Verhoeff check
# digit, the two digits before it a partition identifier (SNOMED CT Technical Implementation
# Guide, 6.7 "SCTID"). dm+d codes (VTM, VMP, AMP...) are SNOMED CT concept ids: partition 00
# (core) or 10 (an extension such as the UK drug extension).
_SCTID = re.compile(r"^[1-9][0-9]{5,17}$")
_CONCEPT_PARTITIONS = {"00", "10"}


_SHORT_NAME = {CodeSystem.DMD: "dm+d", CodeSystem.RXNORM: "RxNorm", CodeSystem.SNOMED: "SNOMED CT"}


class CodeFormatError(ValueError):
    """A code that cannot belong to the system it names."""


def checked_code(system: CodeSystem, code: str) -> str:
    """The code, stripped, if it has the form of a code in `system`; CodeFormatError otherwise."""
    code, name = code.strip(), _SHORT_NAME[system]
    if system is CodeSystem.RXNORM:
        if not _RXCUI.match(code):
            raise CodeFormatError("An RxNorm code (RXCUI) is a number of up to 8 digits, for example 194000")
        return code
    if not _SCTID.match(code):
        raise CodeFormatError(f"A {name} code is a number of 6 to 18 digits")
    if code[-3:-1] not in _CONCEPT_PARTITIONS:
        raise CodeFormatError(f"This is not a {name} code for a concept (its partition digits are "
                              f"{code[-3:-1]}): check the number")
    if not verhoeff.is_valid(code):
        raise CodeFormatError(f"This is not a valid {name} code: its check digit does not match. "
                              "Check the number")
    return code
