"""Whether a new password is too easy to guess, and why, in plain words.

Length alone let `password1234` and the person's own email through. zxcvbn (Dropbox's
estimator, maintained as the `zxcvbn` package) works offline: it knows lists of common and
breached passwords, common words and names, dates, keyboard runs and repeats, and is told the
person's own name and email so a password built from them scores as the guess it is. NCSC and
NIST SP 800-63B both ask for a check against known-bad passwords rather than composition rules.
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

# zxcvbn's score: 3 is "safely unguessable: moderate protection from an offline slow-hash attack"
# (our hashes are argon2id), which is its authors' suggested floor for sign-up.
MIN_SCORE = 3
# zxcvbn's matching grows quickly with length; beyond this the rest adds strength anyway.
CHECKED_LENGTH = 72

TOO_EASY = "This password is too easy to guess: "


def password_problem(password: str, *, email: str | None = None, name: str | None = None) -> str | None:
    """Why `password` is refused, or None if it will do."""
    inputs = [value.lower() for value in (email, name) if value]
    if email:
        inputs.append(email.lower().split("@")[0])
    # Each part of them, and them run together: "helen" and "helenmarsh" from helen.marsh@example.org.
    inputs += [re.sub(r"[\W_]+", "", value) for value in inputs]
    inputs += [part for value in inputs for part in re.split(r"[\W_]+", value) if len(part) >= 3]
    result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=inputs, max_length=CHECKED_LENGTH)
    own = sum(len(match["token"]) for match in result["sequence"] if match.get("dictionary_name") == "user_inputs")
    # Half or more of it their own name or email is "built from" them, even if it scores well:
    # whoever targets one person tries her name with a year and a symbol first.
    if result["score"] >= MIN_SCORE and own * 2 < len(password[:CHECKED_LENGTH]):
        return None
    sources = {match.get("dictionary_name") for match in result["sequence"] if match["pattern"] == "dictionary"}
    if own:
        return TOO_EASY + "it is built from your name or email. Choose words that have nothing to do with you."
    if "passwords" in sources:
        return TOO_EASY + "it is on lists of common passwords. Try three or four unrelated words."
    warning = result["feedback"].get("warning")
    return TOO_EASY + (f"{warning.rstrip('.').lower()}." if warning else
                       "it is made of common words, names, dates or patterns. Try three or four unrelated words.")
