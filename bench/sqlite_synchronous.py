"""What `PRAGMA synchronous=FULL` costs a check-in on SQLite, against NORMAL.

    .venv/bin/python bench/sqlite_synchronous.py [--check-ins 300] [--rounds 3]

Each check-in is its own unit of work and commit, as a request's is, through the real use case.
The two settings take turns, round after round, each on a fresh database in a temporary
directory on the same disk, so drift of the machine falls on both. The numbers go into the
admin guide's "Backups and durability" section (docs/admin-guide.md).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event

from run import bench_team

from alongside.domain import accounts, monitoring, services
from alongside.domain.monitoring import MonitoringSettings
from alongside.domain.records import PatientDetails
from alongside.store.database import make_engine, session_factory
from alongside.store.migrate import upgrade
from alongside.store.unit_of_work import UnitOfWork

CHECK_IN = {"burden": {"pain": 3, "wellbeing": 4}, "symptoms": {"pain": {"frequency": 2, "severity": 2, "interference": 1}},
            "red_flags": {"new_back_pain": False}}


def check_ins_per_second(workdir: Path, synchronous: str, count: int) -> float:
    engine = make_engine(f"sqlite:///{workdir / f'{synchronous.lower()}.db'}")
    # After make_engine's own pragmas, so this setting is the one in force.
    event.listen(engine, "connect", lambda connection, _: connection.execute(f"PRAGMA synchronous={synchronous}"))
    upgrade(engine)
    sessions = session_factory(engine)
    with UnitOfWork(sessions) as uow:
        team, nurse = bench_team(uow)
        actor = accounts.actor_for(nurse)
        patient = services.register_patient(uow, actor, PatientDetails(given_name="Tess", family_name="Timing",
                                                                       date_of_birth=date(1970, 1, 1)), team.id)
        uow.commit()
    settings = MonitoringSettings()
    start = time.perf_counter()
    for _ in range(count):
        with UnitOfWork(sessions, serialise=True) as uow:
            monitoring.submit_check_in(uow, actor, patient.id, dict(CHECK_IN), None, settings)
            uow.commit()
    seconds = time.perf_counter() - start
    engine.dispose()
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check-ins", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="Where the databases go (default: the temp dir)")
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"NORMAL": [], "FULL": []}
    for _ in range(args.rounds):
        for synchronous in rates:
            with tempfile.TemporaryDirectory(dir=args.dir) as workdir:
                rates[synchronous].append(check_ins_per_second(Path(workdir), synchronous, args.check_ins))
    print(f"{platform.platform()}, Python {platform.python_version()}, {args.rounds} rounds of {args.check_ins}")
    for synchronous, values in rates.items():
        print(f"synchronous={synchronous}: median {statistics.median(values):.1f} check-ins/s "
              f"(rounds: {', '.join(f'{v:.1f}' for v in values)}); "
              f"{1000 / statistics.median(values):.1f} ms each")


if __name__ == "__main__":
    main()
