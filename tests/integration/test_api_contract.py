"""Schemathesis against the live service (a real uvicorn process), as a patient, her team's
clinician, another team's clinician and the administrator: every operation in the OpenAPI
document, with valid and invalid requests drawn from it.

Each answer must be declared in the document (status and media type), match its schema, and
never be a 5xx; and no answer to an outsider may carry the other patient's name or NHS number.
The example count per operation, actor, target and mode is bounded by ALONGSIDE_FUZZ_EXAMPLES
(default 4 in `make test`; `make fuzz` runs 60). The figures are printed at the end."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CHECKS

from tests.browser.support import serving

EXAMPLES = int(os.environ.get("ALONGSIDE_FUZZ_EXAMPLES", "4"))
CHECK_NAMES = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
               "response_schema_conformance")
# Signing out would end the actor's session for the operations after it; it is tested elsewhere.
SKIPPED = {"DELETE /api/v1/session"}


@dataclass
class Figures:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    tried: set[tuple[str, str]] = field(default_factory=set)


def _session(base: str, person) -> requests.Session:
    session = requests.Session()
    answer = session.post(f"{base}/api/v1/session", json={"email": person.email, "password": person.password})
    assert answer.status_code == 200, answer.text
    session.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return session


def _checks():
    by_name = {check.__name__: check for check in CHECKS.get_all()}
    return [by_name[name] for name in CHECK_NAMES]


def _targets(operation, own, other) -> list[dict]:
    """Her own record, the other patient's, and ids drawn at random."""
    if "{patient_id}" not in operation.path:
        return [{}]
    return [{"patient_id": str(own)}, {"patient_id": str(other)}, {}] if own else [{"patient_id": str(other)}, {}]


def _exercise(base, schema, actor: str, session, own, other, secrets: tuple[str, ...], figures: Figures) -> None:
    checks = _checks()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIPPED:
            continue
        for target in _targets(operation, own, other):
            for mode in schemathesis.GenerationMode:
                figures.tried.add((operation.label, actor))

                @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
                @given(case=operation.as_strategy(generation_mode=mode, path_parameters=target or None))
                def call(case):
                    response = case.call(base_url=base, session=session, timeout=30)
                    figures.requests += 1
                    figures.statuses[response.status_code] += 1
                    where = f"{actor} {mode.value} {case.method} {case.formatted_path}"
                    try:
                        case.validate_response(response, checks=checks)
                    except BaseException as failure:  # noqa: BLE001 - collected, reported together below
                        figures.failures.append(f"{where} -> {response.status_code}: {str(failure)[:300]}")
                    leaked = [secret for secret in secrets if secret in response.text]
                    if leaked:
                        figures.failures.append(f"{where} -> {response.status_code} leaks {leaked}")

                try:
                    call()
                except Unsatisfiable:  # no invalid request exists for an operation without inputs
                    pass


def test_every_operation_answers_within_the_document_and_leaks_nothing(database_url, engine, world, capsys, tmp_path):
    bella = ("Bella", "Baker", "9990000018", "bella@example.org")
    alice = ("Alice", "Able", "9434765919", "alice@example.org")
    figures = Figures()
    log = tmp_path / "server.log"
    with serving(database_url, log_path=log) as (base, _process):
        document = httpx.get(f"{base}/api/v1/openapi.json").json()
        schema = schemathesis.openapi.from_dict(document)
        actors = [  # (name, who signs in, her own patient, the one she must not see, what must not show)
            ("patient", world.alice, world.patient_a, world.patient_b, bella),
            ("clinician", world.nurse, world.patient_a, world.patient_b, ()),
            ("other team's clinician", world.stranger, None, world.patient_a, alice + bella),
            ("administrator", world.admin, None, world.patient_a, alice[2:3] + bella[2:3]),
        ]
        for actor, person, own, other, secrets in actors:
            _exercise(base, schema, actor, _session(base, person), own, other, secrets, figures)
    operations = {label for label, _ in figures.tried}
    with capsys.disabled():
        print(f"\nSchemathesis: {len(operations)} operations x {len({a for _, a in figures.tried})} actors, "
              f"{figures.requests} requests; statuses {dict(sorted(figures.statuses.items()))}; "
              f"{len(figures.failures)} failures")
    assert figures.requests > len(operations)
    assert not [s for s in figures.statuses if s >= 500]
    errors = [line for line in log.read_text().splitlines() if "Error" in line or "Traceback" in line]
    assert not figures.failures, "\n".join(figures.failures[:40] + errors[:20])
