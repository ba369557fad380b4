"""`make bench`: the synthetic caseload, page times, the alert engine and check-in throughput.

Writes docs/benchmarks.md (the whole file is regenerated). Traffic goes only to 127.0.0.1, and
every loop is bounded. PostgreSQL runs in a schema of its own when ALONGSIDE_TEST_DATABASE_URL
(or --postgres) is set; the schema is dropped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).parent))
from alongside.demo_caseload import generate, load  # noqa: E402

from alongside.clinical.alert_rules import Scores, evaluate  # noqa: E402
from alongside.clinical.pro_ctcae import composite_grade  # noqa: E402
from alongside.domain import accounts, caseload, monitoring  # noqa: E402
from alongside.domain.caseload import CaseloadQuery  # noqa: E402
from alongside.domain.monitoring import MonitoringSettings  # noqa: E402
from alongside.domain.people import SYSTEM, NewTeam, NewUser  # noqa: E402
from alongside.domain.vocab import Role  # noqa: E402
from alongside.store import tables as t  # noqa: E402
from alongside.store.database import make_engine, normalise_url, session_factory  # noqa: E402
from alongside.store.migrate import upgrade  # noqa: E402
from alongside.store.unit_of_work import UnitOfWork  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CLINICIAN = ("bench.nurse@example.org", "bench password 2026")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Databases -----------------------------------------------------------------------------------

def databases(postgres: str | None, workdir: Path):
    yield "SQLite", f"sqlite:///{workdir / 'bench.db'}", None
    if postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(postgres)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        base = normalise_url(postgres)
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"

        def drop():
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        yield "PostgreSQL", url, drop


def bench_team(uow):
    """The benchmarks' team and its nurse, who signs in as CLINICIAN."""
    team = accounts.create_team(uow, SYSTEM, NewTeam(name="Bench team"))
    nurse = accounts.create_user(uow, SYSTEM, NewUser(email=CLINICIAN[0], display_name="Bench Nurse",
                                                      role=Role.CLINICIAN, password=CLINICIAN[1], team_id=team.id))
    return team, nurse


def prepare(url: str, patients: int, years: int) -> dict:
    engine = make_engine(url)
    upgrade(engine)
    with UnitOfWork(session_factory(engine)) as uow:
        team, _ = bench_team(uow)
        uow.commit()
    start = time.perf_counter()
    rows = load(engine, generate(patients, years, seed=7), team.id)
    seconds = time.perf_counter() - start
    # Statistics, and on PostgreSQL the visibility map a bulk load leaves unset (index-only scans
    # would visit the heap for every row): the state autovacuum keeps a working database in.
    statement = "ANALYZE" if url.startswith("sqlite") else "VACUUM ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(statement))
    engine.dispose()
    return {"rows": rows, "load_seconds": seconds}


# --- In-process: the use case alone (database time) --------------------------------------------------

def in_process(url: str, repeat: int) -> dict[str, list[float]]:
    engine = make_engine(url)
    sessions = session_factory(engine)
    with UnitOfWork(sessions) as uow:
        user = uow.users.by_email(CLINICIAN[0])
    actor = accounts.actor_for(user)

    def page(offset: int = 0, query: str = "", **asked: str):
        with UnitOfWork(sessions) as uow:
            caseload.caseload(uow, actor, CaseloadQuery.from_form(query, **asked), datetime.now(UTC), offset, 50)
            uow.commit()

    with engine.connect() as connection:
        ids = list(connection.scalars(select(t.PatientRow.id).limit(1000)))
    rng, settings = random.Random(9), MonitoringSettings()

    def check_in():
        with UnitOfWork(sessions, serialise=True) as uow:
            monitoring.submit_check_in(uow, actor, rng.choice(ids), random_check_in(rng), None, settings)
            uow.commit()

    results = {"caseload, first page": timed(page, repeat),
               "caseload, page 50": timed(lambda: page(49 * 50), repeat),
               "caseload, search by surname": timed(lambda: page(0, "quillfeather"), repeat),
               "check-in submitted (validated, graded, evaluated, stored with its alerts)": timed(check_in, repeat)}
    engine.dispose()
    return results


def random_check_in(rng: random.Random) -> dict:
    """A check-in as the load generator sends it: two symptoms, a 0-10 item, a red flag now and then."""
    return {"symptoms": {"pain": {"frequency": rng.randint(0, 4), "severity": rng.randint(0, 4),
                                  "interference": rng.randint(0, 4)},
                         "nausea": {"frequency": rng.randint(0, 4), "severity": rng.randint(0, 4)}},
            "burden": {"tiredness": rng.randint(0, 10)}, "red_flags": {"new_back_pain": rng.random() < 0.05},
            "temperature_c": 36.8}


# --- Over HTTP: a real uvicorn process on loopback --------------------------------------------------

class Server:
    def __init__(self, url: str, workers: int = 1, **extra_env: str):
        self.port = free_port()
        env = {**os.environ, "ALONGSIDE_DATABASE_URL": url, "ALONGSIDE_COOKIE_SECURE": "false",
               "ALONGSIDE_MONITOR_INTERVAL": "0", **extra_env}
        self.process = subprocess.Popen([sys.executable, "-m", "uvicorn", "alongside.web.app:app", "--host", "127.0.0.1",
                                         "--port", str(self.port), "--log-level", "warning", "--workers", str(workers)],
                                        env=env)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def client(self) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=30)
        token = client.post("/api/v1/session", json={"email": CLINICIAN[0], "password": CLINICIAN[1]}).json()["csrf_token"]
        client.headers["X-CSRF-Token"] = token
        return client

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def pages(server: Server, url: str, repeat: int) -> dict[str, list[float]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        ids = [str(i) for i in connection.scalars(select(t.PatientRow.id).limit(2000))]
    engine.dispose()
    rng = random.Random(3)
    client = server.client()

    def get(path: str):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    results = {"/healthz (baseline)": timed(lambda: get("/healthz"), repeat),
               "/caseload (first page of 50)": timed(lambda: get("/caseload"), repeat),
               "/caseload?page=50": timed(lambda: get("/caseload?page=50"), repeat),
               "/caseload?q=quillfeather": timed(lambda: get("/caseload?q=quillfeather"), repeat),
               "/patients/{id} (record page)": timed(lambda: get(f"/patients/{rng.choice(ids)}"), repeat)}
    client.close()
    return results


class LoadClient:
    """A lean keep-alive HTTP/1.1 client (the standard library's), one per load thread.

    httpx costs about as much CPU per request as the server's /healthz does, and the load runs
    on the server's own 2 cores, so a heavier client would be measuring itself."""

    def __init__(self, server: Server):
        signed_in = server.client()
        self.headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in signed_in.cookies.items()),
                        "X-CSRF-Token": signed_in.headers["X-CSRF-Token"], "Content-Type": "application/json"}
        signed_in.close()
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        self.connection.request(method, path, json.dumps(body) if body is not None else None, self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def check_in_load(server: Server, url: str, total: int, workers: int) -> dict:
    """Sustained check-in submissions from `workers` concurrent clients, each a new check-in."""
    engine = make_engine(url)
    with engine.connect() as connection:
        ids = [str(i) for i in connection.scalars(select(t.PatientRow.id).limit(1000))]
    engine.dispose()
    clients = [LoadClient(server) for _ in range(workers)]
    rng = random.Random(5)
    bodies = [(rng.choice(ids), random_check_in(rng)) for _ in range(total)]
    mine = threading.local()  # each thread keeps to one client, so no connection is shared

    def client() -> LoadClient:
        if not hasattr(mine, "client"):
            mine.client = clients.pop()
        return mine.client

    def submit(index: int) -> float:
        patient, body = bodies[index]
        start = time.perf_counter()
        status, answer = client().request("POST", f"/api/v1/patients/{patient}/check-ins", body)
        assert status == 201, answer
        return (time.perf_counter() - start) * 1000

    def healthz(index: int) -> float:
        start = time.perf_counter()
        status, _ = client().request("GET", "/healthz")
        assert status == 200
        return (time.perf_counter() - start) * 1000

    out = {}
    with ThreadPoolExecutor(workers) as pool:
        for name, fn in (("healthz", healthz), ("check-ins", submit)):
            start = time.perf_counter()
            latencies = list(pool.map(fn, range(total)))
            seconds = time.perf_counter() - start
            out[name] = {"per_second": total / seconds, "p50": percentile(latencies, 0.5),
                         "p95": percentile(latencies, 0.95)}
    return out


# --- The alert engine on its own ------------------------------------------------------------------

def alert_engine(patients: int, weeks: int) -> dict:
    """Evaluate every check-in of a synthetic caseload against its previous one and baseline."""
    rng = random.Random(11)
    grid = [(rng.randint(0, 4), rng.randint(0, 4), rng.randint(0, 4)) for _ in range(997)]

    def scores(i: int) -> Scores:
        f, s, x = grid[i % 997]
        n1, n2 = grid[(i * 7) % 997][:2]
        return Scores(grades={"pain": composite_grade(f, s, x), "nausea": composite_grade(frequency=n1, severity=n2)},
                      burden={"tiredness": (f + s + x) % 11, "anxiety": (i * 3) % 11})

    prepared = [scores(i) for i in range(997)]
    start = time.perf_counter()
    count = alerts = 0
    for patient in range(patients):
        baseline = prepared[patient % 997]
        previous = baseline
        for week in range(weeks):
            current = prepared[(patient * 31 + week) % 997]
            alerts += len(evaluate(current, previous, baseline, []))
            previous = current
            count += 1
    engine_seconds = time.perf_counter() - start
    # Baseline in the same run: the same loop doing only the bookkeeping, no rules.
    start = time.perf_counter()
    for patient in range(patients):
        previous = prepared[patient % 997]
        for week in range(weeks):
            current = prepared[(patient * 31 + week) % 997]
            previous = current
    loop_seconds = time.perf_counter() - start
    return {"check_ins": count, "alerts": alerts, "per_second": count / engine_seconds, "seconds": engine_seconds,
            "loop_per_second": count / loop_seconds}


# --- Report ------------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "0")
    return {"CPU": f"{cpu} ({os.cpu_count()} cores)", "Memory": f"{int(memory) / 1024 / 1024:.1f} GiB",
            "Python": platform.python_version(), "SQLite": sqlite3.sqlite_version, "OS": platform.platform()}


def write_section(path: Path, name: str, text: str) -> None:
    """Replace this benchmark's part of the report (between its markers), keeping the others."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{start}\n{text.strip()}\n{end}\n"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        current = before + block + rest.split(end, 1)[1].lstrip("\n")
    else:
        current = current + ("\n" if current and not current.endswith("\n") else "") + block
    path.write_text(current, encoding="utf-8")


def table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--check-ins", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of the check-in load")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the check-in load against each server")
    parser.add_argument("--server-workers", type=int, nargs="+", default=[1, 2],
                        help="uvicorn worker processes to measure the check-in load with")
    parser.add_argument("--quick", action="store_true", help="200 patients x 1 year, fewer requests (a smoke run)")
    parser.add_argument("--postgres", default=os.environ.get("ALONGSIDE_TEST_DATABASE_URL"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    if args.quick:
        args.patients, args.years, args.repeat, args.check_ins, args.rounds = 200, 1, 30, 200, 1
    command = "make bench" if not args.quick else "python bench/run.py --quick"
    started = datetime.now(UTC)
    args.load_at_start = os.getloadavg()[0]
    sections, server_version = [], ""
    with tempfile.TemporaryDirectory() as workdir:
        for name, url, cleanup in databases(args.postgres, Path(workdir)):
            try:
                print(f"{name}: generating and loading {args.patients} patients x {args.years} years...", flush=True)
                loaded = prepare(url, args.patients, args.years)
                if name == "PostgreSQL":
                    engine = make_engine(url)
                    with engine.connect() as connection:
                        server_version = connection.scalar(text("SHOW server_version"))
                    engine.dispose()
                print(f"{name}: {loaded['rows']} rows in {loaded['load_seconds']:.1f} s; timing...", flush=True)
                local = in_process(url, args.repeat)
                loads = {}
                for workers in args.server_workers:
                    server = Server(url, workers=workers)
                    try:
                        if workers == args.server_workers[0]:
                            http = pages(server, url, args.repeat)
                        rounds = [check_in_load(server, url, args.check_ins, args.clients) for _ in range(args.rounds)]
                        loads[workers] = median_round(rounds)
                    finally:
                        server.stop()
                sections.append(_section(name, loaded, local, http, loads, args))
            finally:
                if cleanup:
                    cleanup()
    print("alert engine...", flush=True)
    engine_result = alert_engine(10_000 if not args.quick else 1000, 156)
    report = _report(args, command, started, sections, engine_result, server_version)
    write_section(Path(args.out), "caseload", report)
    print(report)


def median_round(rounds: list[dict]) -> dict:
    """The round with the median check-in rate, with the range over all rounds: this machine's
    speed wanders by a fifth from one minute to the next, and one round alone hides that."""
    ordered = sorted(rounds, key=lambda r: r["check-ins"]["per_second"])
    chosen = ordered[len(ordered) // 2]
    rates = [r["check-ins"]["per_second"] for r in ordered]
    return {**chosen, "range": (rates[0], rates[-1]), "rounds": len(rounds)}


def _section(name, loaded, local, http, loads, args) -> str:
    baseline = statistics.median(http["/healthz (baseline)"])
    page_rows = [[path, f"{percentile(v, 0.5):.1f}", f"{percentile(v, 0.95):.1f}", f"{percentile(v, 0.5) / baseline:.1f}x"]
                 for path, v in http.items()]
    local_rows = [[what, f"{percentile(v, 0.5):.1f}", f"{percentile(v, 0.95):.1f}"] for what, v in local.items()]
    load_rows = []
    for workers, result in loads.items():
        ci, hz = result["check-ins"], result["healthz"]
        processes = f"{workers} worker{'s' if workers > 1 else ''}"
        low, high = result["range"]
        load_rows += [[f"POST check-in, {processes}", f"{ci['per_second']:.0f}", f"{low:.0f}-{high:.0f}",
                       f"{ci['p50']:.1f}", f"{ci['p95']:.1f}", f"{ci['per_second'] / hz['per_second']:.2f}"],
                      [f"GET /healthz, {processes} (baseline)", f"{hz['per_second']:.0f}", "", f"{hz['p50']:.1f}",
                       f"{hz['p95']:.1f}", "1.00"]]
    return "\n\n".join([
        f"### {name}",
        f"Generated and loaded {args.patients:,} patients x {args.years} years: **{loaded['rows']:,} rows in "
        f"{loaded['load_seconds']:.1f} s** ({loaded['rows'] / loaded['load_seconds']:,.0f} rows/s, generation included).",
        "Pages over HTTP, one client, sequential requests (milliseconds, client-observed on loopback):",
        table(page_rows, ["request", "p50", "p95", "p50 vs /healthz"]),
        "The use cases in-process, one at a time, without HTTP or templates (milliseconds):",
        table(local_rows, ["operation", "p50", "p95"]),
        f"Check-in submissions over HTTP, {args.clients} concurrent clients, {args.check_ins:,} submissions a round, "
        "each validated, graded, evaluated and stored with its alerts, against one uvicorn worker and then several "
        f"(`alongside serve --workers N`). {args.rounds} round{'s' if args.rounds > 1 else ''} each; the round with "
        "the median rate is shown, "
        "with the range of all rounds, and /healthz from that round:",
        table(load_rows, ["request", "per second", "range, per second", "p50 ms", "p95 ms", "rate vs /healthz"]),
    ])


def _report(args, command, started, sections, engine_result, server_version) -> str:
    info = machine()
    if server_version:
        info["PostgreSQL"] = server_version
    return "\n\n".join([
        "# Benchmarks",
        "_Each part of this file is written by a script in `bench/` (`make bench` runs them all); edits between "
        "the markers are overwritten._",
        "## Machine",
        table([[k, v] for k, v in info.items()], ["", ""]),
        f"Command: `{command}` (patients={args.patients}, years={args.years}, repeat={args.repeat}, "
        f"check-ins={args.check_ins}, rounds={args.rounds}, clients={args.clients}, server workers={args.server_workers}). "
        "Run started "
        f"{started:%Y-%m-%d %H:%M} UTC. Server: uvicorn on 127.0.0.1 with the background monitor off; pages are "
        f"timed against {args.server_workers[0]} worker. The load generator runs on the same "
        f"{os.cpu_count()}-core machine. Load average (1 minute) at the start and the end: "
        f"{args.load_at_start:.1f} and {os.getloadavg()[0]:.1f}; above {os.cpu_count()}, other work shared the "
        "machine and the milliseconds are slower than the machine can do (the ratios to /healthz less so).",
        "## Caseload, pages and check-ins",
        *sections,
        "## The alert engine on its own",
        f"{engine_result['check_ins']:,} check-ins (10,000 patients x 156 weekly check-ins in the full run) evaluated "
        f"against their previous report and baseline, one core: **{engine_result['per_second']:,.0f} check-ins/s** "
        f"({engine_result['seconds']:.1f} s, {engine_result['alerts']:,} alerts). The same loop without the rules runs at "
        f"{engine_result['loop_per_second']:,.0f}/s, so the rules cost "
        f"{engine_result['loop_per_second'] / engine_result['per_second']:.0f}x the bare loop.",
        "## How to read these",
        "p50 and p95 are the median and 95th centile of the measured requests. Ratios compare each request with the "
        "trivial /healthz route measured in the same run, so they travel between machines better than milliseconds. "
        "The caseload page shows 50 patients a page; summaries (current treatment, last check-in, next appointment) "
        "are fetched for that page's patients only.",
    ]) + "\n"


if __name__ == "__main__":
    main()
