"""`make bench`, results part: the timeline of a five-year record, and a million-row CSV import.

A synthetic person with five years of weekly check-ins, fortnightly blood counts and chemistry,
monthly CA 15-3 and three-monthly scans across four lines of treatment. The timeline is timed in
process (the use case: queries, grading, RECIST, marker trends) and over HTTP (the whole page with
its SVG charts) against /healthz in the same run. The CSV import reads a file of 1,000,000 blood
results into one record, all or nothing. Writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, time as clock, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import CLINICIAN, ROOT, Server, bench_team, databases, machine, percentile, table, timed, write_section  # noqa: E402

from alongside.clinical.alert_rules import AlertThresholds  # noqa: E402
from alongside.domain import accounts, results, services  # noqa: E402
from alongside.domain.people import SYSTEM  # noqa: E402
from alongside.domain.records import RECORD_KINDS, CheckIn, LabResult, PatientDetails, validate  # noqa: E402
from alongside.store.database import make_engine, session_factory  # noqa: E402
from alongside.store.migrate import upgrade  # noqa: E402
from alongside.store.unit_of_work import UnitOfWork  # noqa: E402
from alongside.web.app import prepare_process  # noqa: E402

TODAY = date(2026, 11, 20)
BLOODS = [("Neutrophils", "751-8", "10*9/L", 1.0, 6.0), ("Haemoglobin", "718-7", "g/L", 95, 150),
          ("Platelets", "777-3", "10*9/L", 120, 380), ("ALT", "1742-6", "U/L", 10, 60),
          ("Creatinine", "2160-0", "umol/L", 50, 110), ("Calcium", "17861-6", "mmol/L", 2.1, 2.7),
          ("Albumin", "1751-7", "g/L", 30, 48)]


def five_year_record(url: str) -> tuple[object, object]:
    """The bench clinician and the id of a patient with five years of results."""
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(11)
    start = TODAY - timedelta(days=5 * 365)
    with UnitOfWork(session_factory(engine)) as uow:
        team, user = bench_team(uow)
        nurse = accounts.actor_for(user)
        patient = services.register_patient(uow, nurse, PatientDetails(given_name="Five", family_name="Years",
                                                                        date_of_birth=date(1960, 1, 1)), team.id)
        for line in range(4):
            begun = start + timedelta(days=456 * line)
            course = services.add_entry(uow, nurse, patient.id, "treatment-courses", {
                "modality": "chemotherapy" if line % 2 else "targeted", "name": f"Treatment {line + 1}",
                "line_of_treatment": line + 1, "start_date": begun.isoformat(),
                "end_date": (begun + timedelta(days=450)).isoformat() if line < 3 else None})
            services.add_entry(uow, nurse, patient.id, "treatment-breaks", {
                "course_id": str(course.id), "start_date": (begun + timedelta(days=200)).isoformat(),
                "end_date": (begun + timedelta(days=221)).isoformat(), "reason": "recovery"})
        kinds = RECORD_KINDS
        uow.records.add_many(patient.id, kinds["check-ins"], [validate(CheckIn, {
            "submitted_at": datetime.combine(start + timedelta(days=7 * w), clock(10), UTC).isoformat(),
            "symptoms": {"fatigue": {"severity": rng.randint(0, 3), "interference": rng.randint(0, 3)},
                         "pain": {"frequency": rng.randint(0, 3), "severity": rng.randint(0, 3),
                                  "interference": rng.randint(0, 2)}},
            "burden": {"pain": rng.randint(0, 8), "tiredness": rng.randint(0, 8), "wellbeing": rng.randint(1, 6)}})
            for w in range(5 * 52)])
        uow.records.add_many(patient.id, kinds["lab-results"], [validate(LabResult, {
            "taken_on": (start + timedelta(days=14 * f)).isoformat(), "test": name, "loinc": loinc, "unit": unit,
            "value": round(rng.uniform(low, high), 2), "reference_low": low, "reference_high": high})
            for f in range(5 * 26) for name, loinc, unit, low, high in BLOODS])
        for month in range(60):
            services.add_entry(uow, nurse, patient.id, "tumour-markers", {
                "taken_on": (start + timedelta(days=30 * month + 3)).isoformat(), "marker": "ca15_3",
                "value": round(20 + 30 * abs(((month % 15) - 7) / 7) + rng.uniform(0, 5), 1)})
        for quarter in range(20):
            size = 40 + rng.randint(-15, 15)
            services.add_entry(uow, nurse, patient.id, "scans", {
                "performed_on": (start + timedelta(days=91 * quarter + 5)).isoformat(), "modality": "ct",
                "impression": rng.choice(["stable", "responding", "progressing"]),
                "target_lesions": f"Liver segment 6: {size}\nLung, right lower lobe: {size // 2}",
                "non_target": "non-CR/non-PD", "new_lesions": "no"})
        uow.commit()
    engine.dispose()
    return nurse, patient.id


NOTHING_KEPT = " (first look: nothing kept)"


def timeline_in_process(url: str, nurse, patient_id, repeat: int) -> dict[str, list[float]]:
    engine = make_engine(url)
    sessions = session_factory(engine)
    prepare_process()  # as the server does at start-up

    def story(span: str):
        with UnitOfWork(sessions) as uow:
            results.timeline(uow, nurse, patient_id, TODAY, span)
            uow.commit()

    timings = {}
    for kept, label in ((32, ", a second look"), (0, NOTHING_KEPT)):
        results.RECENT_TIMELINES.resize(kept)
        timings |= {f"timeline use case, span={span}{label}": timed(lambda: story(span), repeat) for span in ("all", "1y")}
    results.RECENT_TIMELINES.resize(32)
    engine.dispose()
    return timings


def timeline_over_http(url: str, patient_id, repeat: int, before: str | None = None) -> dict[str, list[float]]:
    """The pages over HTTP. With `before` (another checkout's src folder), the same database is
    also served by that code, and each request goes to both servers in turn, so that a machine
    whose load changes during the run slows both alike."""
    clock = {"ALONGSIDE_FIXED_TIME": f"{TODAY.isoformat()}T12:00:00+00:00"}
    # The same code twice: as shipped, where a second look at the unchanged record is the kept
    # timeline, and keeping none, where every look builds it as the first look after a change does.
    servers = {"": Server(url, **clock), NOTHING_KEPT: Server(url, ALONGSIDE_KEPT_TIMELINES="0", **clock)}
    try:
        if before:
            servers[" (before)"] = Server(url, PYTHONPATH=before, **clock)
        clients = {label: server.client() for label, server in servers.items()}

        def get(client, path: str):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        paths = {"/healthz (baseline)": "/healthz"}
        paths |= {f"/patients/{{id}}/timeline?span={span}": f"/patients/{patient_id}/timeline?span={span}"
                  for span in ("all", "1y")}
        timings: dict[str, list[float]] = {}
        for name, path in paths.items():
            for label, client in clients.items():
                get(client, path)  # each server's first request of a page builds what it caches
            for _ in range(repeat):
                for label, client in clients.items():
                    timings.setdefault(name + label, []).extend(timed(lambda: get(client, path), 1))
        for client in clients.values():
            client.close()
    finally:
        for server in servers.values():
            server.stop()
    return timings


def csv_import(url: str, patient_id, rows: int, workdir: Path) -> dict:
    path = workdir / "bloods.csv"
    rng = random.Random(5)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(results.CSV_COLUMNS)
        for number in range(rows):
            name, loinc, unit, low, high = BLOODS[number % len(BLOODS)]
            taken = TODAY - timedelta(days=30 + (number // len(BLOODS)) % 3650)
            value = round(rng.uniform(low, high), 2) + (number % 997) / 1e6  # each row distinct
            writer.writerow([taken.isoformat(), name, f"{value:.6f}", unit, low, high, loinc, "Bench Lab"])
    engine = make_engine(url)
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with UnitOfWork(session_factory(engine)) as uow, path.open(encoding="utf-8", newline="") as lines:
        report = results.import_lab_results(uow, SYSTEM, patient_id, lines, AlertThresholds(),
                                            datetime.combine(TODAY, clock(12), UTC))
        uow.commit()
    seconds = time.perf_counter() - started
    memory_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine.dispose()
    return {"rows": report.added, "seconds": seconds, "per_second": report.added / seconds,
            "file_mb": path.stat().st_size / 1e6, "peak_rss_growth_mb": (memory_after - memory_before) / 1024}


def section(name: str, local: dict, http: dict, imported: dict | str) -> str:
    def against(key: str) -> float:  # each server's pages against its own /healthz
        own = next((label for label in (" (before)", NOTHING_KEPT) if key.endswith(label)), "")
        return percentile(http["/healthz (baseline)" + own], 0.5)

    if isinstance(imported, str):  # not run this time: the last run's line, said to be so
        csv_line = f"{imported} (CSV import not re-run with the timeline: the last full run's figure.)"
    else:
        csv_line = (f"CSV import: **{imported['rows']:,} rows in {imported['seconds']:.1f} s = "
                    f"{imported['per_second']:,.0f} rows/s** ({imported['file_mb']:.0f} MB file, one transaction; "
                    f"the process's peak memory grew by {imported['peak_rss_growth_mb']:.0f} MB).")
    return "\n\n".join([
        f"### {name}",
        "The timeline use case in-process (milliseconds):",
        table([[k, f"{percentile(v, 0.5):.1f}", f"{percentile(v, 0.95):.1f}"] for k, v in local.items()],
              ["operation", "p50", "p95"]),
        "The timeline page over HTTP, one client, sequential requests (milliseconds, client-observed):",
        table([[k, f"{percentile(v, 0.5):.1f}", f"{percentile(v, 0.95):.1f}", f"{percentile(v, 0.5) / against(k):.1f}x"]
               for k, v in http.items()], ["request", "p50", "p95", "p50 vs /healthz"]),
        csv_line,
    ])


def last_csv_lines(path: Path) -> dict[str, str]:
    """The CSV import line of each database in the report as it stands, by database name."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    part = text.split("<!-- bench:results:start -->")[-1].split("<!-- bench:results:end -->")[0]
    found = re.findall(r"^### (\S+)$.*?^(CSV import: \*\*.*?\)\.)", part, re.M | re.S)
    return dict(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and 20,000 CSV rows (a smoke run)")
    parser.add_argument("--postgres", default=os.environ.get("ALONGSIDE_TEST_DATABASE_URL"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--before", help="another checkout's src folder: its server is timed beside this one's, "
                                         "request by request, on the same database")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.csv_rows = 10, 20_000
    earlier_csv = last_csv_lines(Path(args.out)) if args.csv_rows == 0 else {}
    sections = []
    with tempfile.TemporaryDirectory() as workdir:
        for name, url, cleanup in databases(args.postgres, Path(workdir)):
            try:
                print(f"{name}: building a five-year record...", flush=True)
                nurse, patient_id = five_year_record(url)
                local = timeline_in_process(url, nurse, patient_id, args.repeat)
                http = timeline_over_http(url, patient_id, args.repeat, args.before)
                if args.csv_rows:
                    print(f"{name}: importing {args.csv_rows:,} CSV rows...", flush=True)
                    imported = csv_import(url, patient_id, args.csv_rows, Path(workdir))
                else:
                    imported = earlier_csv.get(name, "CSV import: not run (--csv-rows 0).")
                sections.append(section(name, local, http, imported))
            finally:
                if cleanup:
                    cleanup()
    command = "python bench/results.py" + (" --quick" if args.quick else "") + " ".join(
        [""] + [f"--repeat {args.repeat}"] * (args.repeat != 100 and not args.quick)
        + [f"--csv-rows {args.csv_rows}"] * (args.csv_rows != 1_000_000 and not args.quick)
        + [f"--before {args.before}"] * bool(args.before))
    before = (" Rows marked *(before)* are the same requests served by the code in the `--before` folder from the "
              "same database, each request sent to the two servers in turn, each against its own /healthz."
              if args.before else "")
    text = "\n\n".join([
        "## Results: the timeline and CSV import",
        f"Command: `{command}` (repeat={args.repeat}, CSV rows={args.csv_rows:,}), on the machine described above "
        f"({machine()['CPU']}), load average {os.getloadavg()[0]:.1f} at the end of the run. The record: five years "
        "of weekly check-ins (260), fortnightly bloods (7 tests, 910 results), monthly CA 15-3 (60), three-monthly "
        f"scans with measured lesions (20), four lines of treatment with a break in each.{before} Rows marked "
        f"*{NOTHING_KEPT.strip()}* are served by the same code keeping no timelines (`ALONGSIDE_KEPT_TIMELINES=0`), "
        "so each request builds the timeline as the first look after a change to the record does; the other rows "
        "are a second look at the unchanged record, the kept timeline (hazard H58). Each request goes to every "
        "server in turn, each against its own /healthz.",
        *sections])
    write_section(Path(args.out), "results", text)
    print(text)


if __name__ == "__main__":
    main()
