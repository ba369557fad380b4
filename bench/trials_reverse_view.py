"""The reverse view of one trial (which patients on a caseload may fit it) over a synthetic
caseload (issue 14): the synthetic patients of src/alongside/demo_caseload.py on one clinician's team, the 41 fixture studies
imported, NCT05296798 asked of everyone. Two ways to read the caseload, in the same run:
- batched: store/trial_caseload.py reads each record kind for 500 patients in one query;
- naive: the caseload page by page, then each patient and each record kind by itself.
Both authorise by building from the clinician's own caseload and audit every record read; the
matching is the same. Writes its section of docs/benchmarks.md.

    .venv/bin/python bench/trials_reverse_view.py [--patients 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from alongside.demo_caseload import generate, load
from run import bench_team, machine, percentile, table, write_section

from alongside.domain import accounts
from alongside.domain.trials import OneByOne
from alongside.store.database import make_engine, session_factory
from alongside.store.migrate import upgrade
from alongside.store.trial_caseload import BatchedCaseloadRecords
from alongside.store.unit_of_work import UnitOfWork
from alongside.trials.importer import import_path
from alongside.trials.service import trial_candidates

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "ctgov"
TRIAL = "NCT04862663"  # CAPItello-292: HR-positive, HER2-negative, after a CDK4/6 inhibitor


def prepare(url: str, patients: int):
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    with UnitOfWork(sessions) as uow:
        team, nurse = bench_team(uow)
        uow.commit()
    load(engine, generate(patients, years=1), team.id)
    import_path(sessions, FIXTURES)
    return engine, sessions, accounts.actor_for(nurse)


def run(sessions, actor, reader, repeat: int) -> tuple[list[float], int, int]:
    times, found, size = [], 0, 0
    today = datetime.now(UTC).date()
    for _ in range(repeat):
        with UnitOfWork(sessions) as uow:
            started = time.perf_counter()
            view = trial_candidates(uow, actor, TRIAL, today, reader)
            uow.audit.flush()  # the audit rows are part of the cost; rolled back after
            times.append((time.perf_counter() - started) * 1000)
            found, size = len(view.candidates), view.caseload_size
    return times, found, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine, sessions, actor = prepare(f"sqlite:///{folder}/bench.db", args.patients)
        rows, results = [], {}
        for name, reader in (("batched", BatchedCaseloadRecords), ("naive", OneByOne)):
            times, found, size = run(sessions, actor, reader, args.repeat)
            results[name] = times
            rows.append([name, f"{size:,}", f"{found:,}", ", ".join(f"{ms:,.0f}" for ms in times),
                         f"{percentile(times, 0.5):,.0f}"])
            print(name, rows[-1])
        engine.dispose()
    cpu = machine()["CPU"]
    speedup = percentile(results["naive"], 0.5) / percentile(results["batched"], 0.5)
    text = f"""## Trials: the reverse view of one trial

Command: `.venv/bin/python bench/trials_reverse_view.py --patients {args.patients} --repeat {args.repeat}` on {cpu}, SQLite.
Caseload: {args.patients:,} synthetic patients from src/alongside/demo_caseload.py (nine pathways in turn) on one clinician's
team; the 41 fixture studies imported; {TRIAL} asked of everyone. Each run builds every patient's profile from her record,
audits each read (the audit rows are written, then rolled back) and assesses the trial's cached criteria. *batched* reads each
record kind for 500 patients in one query (store/trial_caseload.py); *naive* reads the caseload page by page and then each
patient and each record kind by itself (domain.trials.OneByOne), about six queries a patient.

{table(rows, ["reader", "patients", "may fit", "each run, ms", "median ms"])}

The batched read is {speedup:.1f} times faster in the median. Most of what remains is turning rows into validated records and
profiles (Pydantic) and the audit rows, both linear in the caseload: a clinician waits for it once per trial opened.
"""
    write_section(args.report, "trials-reverse-view", text)


if __name__ == "__main__":
    main()
