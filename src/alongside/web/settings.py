"""Settings read once at start-up from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..domain.accounts import SessionPolicy
from ..store.database import default_database_url


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    service_time_zone: str = "Europe/London"
    # Secure cookies need HTTPS; the demo on http://127.0.0.1 turns this off explicitly.
    cookie_secure: bool = True
    max_body_bytes: int = 1_000_000
    policy: SessionPolicy = field(default_factory=SessionPolicy)

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            database_url=default_database_url(),
            service_time_zone=os.environ.get("ALONGSIDE_TIME_ZONE", "Europe/London"),
            cookie_secure=os.environ.get("ALONGSIDE_COOKIE_SECURE", "true").lower() not in {"0", "false", "no"},
        )
