"""The caseload page with its columns (worst open alert, last check-in, line of treatment,
next appointment) over HTTP, for 5,000 synthetic people (src/alongside/demo_caseload.py) on one
clinician's team, on SQLite and PostgreSQL: each sort, each filter and a late page, with
/healthz from the same server in the same run as the baseline. Target (issue 17): p95 under
100 ms. Writes its section of docs/benchmarks.md.

    .venv/bin/python bench/caseload_page.py [--patients 5000] [--years 2] [--repeat 100]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from run import Server, databases, machine, percentile, prepare, table, timed, write_section

from alongside.store.database import make_engine

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = ["/healthz",
            "/caseload",
            "/caseload?sort=alerts",
            "/caseload?sort=last_check_in",
            "/caseload?sort=line&order=reverse",
            "/caseload?sort=next_appointment&page=50",
            "/caseload?alerts=red",
            "/caseload?weeks=2&line=2",
            "/caseload?alerts=any&sort=last_check_in&line=4%2B",
            "/caseload?q=quillfeather&sort=alerts"]
TARGET_MS = 100


def measure(server: Server, repeat: int) -> dict[str, list[float]]:
    client = server.client()

    def get(path: str):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    for path in REQUESTS:  # warm each statement's plan and the pages' caches once
        get(path)
    results = {path: timed(lambda path=path: get(path), repeat) for path in REQUESTS}
    client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--postgres", default=os.environ.get("ALONGSIDE_TEST_DATABASE_URL"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    started, load_before = datetime.now(UTC), os.getloadavg()
    sections = []
    with tempfile.TemporaryDirectory() as workdir:
        for name, url, cleanup in databases(args.postgres, Path(workdir)):
            try:
                print(f"{name}: loading {args.patients} patients x {args.years} years...", flush=True)
                loaded = prepare(url, args.patients, args.years)
                server = Server(url)
                try:
                    results = measure(server, args.repeat)
                finally:
                    server.stop()
                sections.append(_section(name, loaded, results, args))
                make_engine(url).dispose()
            finally:
                if cleanup:
                    cleanup()
    load_after = os.getloadavg()
    report = _report(args, started, load_before, load_after, sections)
    write_section(Path(args.out), "caseload-page", report)
    print(report)


def _section(name: str, loaded: dict, results: dict[str, list[float]], args) -> str:
    baseline = percentile(results["/healthz"], 0.5)
    rows = [[f"`{path}`" + (" (baseline)" if path == "/healthz" else ""), f"{percentile(v, 0.5):.1f}",
             f"{percentile(v, 0.95):.1f}", f"{percentile(v, 0.5) / baseline:.1f}x",
             "" if path == "/healthz" else ("yes" if percentile(v, 0.95) < TARGET_MS else "**no**")]
            for path, v in results.items()]
    return (f"### {name}\n\n{args.patients:,} people, {loaded['rows']:,} rows loaded in {loaded['load_seconds']:.0f} s. "
            f"Milliseconds, one client, sequential requests, {args.repeat} of each:\n\n"
            + table(rows, ["request", "p50", "p95", "p50 vs /healthz", f"p95 under {TARGET_MS} ms"]))


def _report(args, started, load_before, load_after, sections) -> str:
    facts = machine()
    return "\n\n".join([
        "## Caseload page with its columns (issue 17)",
        f"Machine: {facts['CPU']}, {facts['Memory']}, Python {facts['Python']}, SQLite {facts['SQLite']}. "
        f"Command: `.venv/bin/python bench/caseload_page.py --patients {args.patients} --years {args.years} "
        f"--repeat {args.repeat}` (part of `make bench`), started {started:%Y-%m-%d %H:%M} UTC. "
        f"One uvicorn worker on 127.0.0.1, monitor off; the client runs on the same machine. The machine was shared "
        f"with other work: load average {load_before[0]:.1f} on 2 cores at the start and {load_after[0]:.1f} at the end "
        f"(`os.getloadavg`), so compare the requests with /healthz from the same run rather than across runs.",
        "Each page runs the same few statements whatever the caseload's size (store/caseload.py; "
        "tests/integration/test_caseload.py counts them): one gives every person on the team's list only the "
        "columns the request sorts or filters on, as correlated subqueries answered from indexes (open alerts by "
        "patient, check-ins and appointments by patient and time, courses by patient), filters, sorts, counts with "
        "a window and cuts the page; one gives the page's 50 people all their columns; one names the courses in force for the page's 50 people. Before measuring, the loaded tables are analysed "
        "(and on PostgreSQL vacuumed, as autovacuum would leave them: bench/run.py `prepare`).",
        *sections])


if __name__ == "__main__":
    main()
