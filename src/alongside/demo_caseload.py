"""Synthetic people with secondary breast cancer at points along the pathway, their records
written straight into the tables in batches (bulk Core inserts), deterministic from a seed.

`alongside demo` puts about 60 of them on the demo team beside Helen; the benchmarks (bench/)
load thousands. Nobody in it is real: the family names are invented, NHS numbers come from the
999 range the NHS does not issue, phone numbers from Ofcom's range kept for drama (01632 960xxx).
Each person follows one `Pathway` (new on a first line, on a CDK4/6 inhibitor, on chemotherapy,
on capecitabine, on a break, stopped anticancer treatment, HER2-positive with brain metastases,
triple negative, a man), checks in weekly with some weeks missed, and the last check-in of some
carries an answer the alert rules act on, stored with the alert it raised (clinical/red_flags.py
gives the level of each red-flag answer)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, Engine, insert

from .clinical.alert_rules import AlertThresholds, Finding, missed_check_in
from .clinical.contacts import Level
from .clinical.red_flags import BY_CODE
from .domain.nhs_number import check_digit
from .store import tables as t

GIVEN = ["Helen", "Sarah", "Aisha", "Mary", "Joanne", "Priya", "Grace", "Fatima", "Claire", "Nadia", "Ruth",
         "Olivia", "Margaret", "Chloe", "Ewa", "Siobhan", "Amara", "Lucy", "Deborah", "Mei"]
GIVEN_MEN = ["David", "Kwame", "Rajesh", "Owen", "Tomasz", "Graham"]
# Invented, so that no one on the demo caseload shares a real person's name.
FAMILY = ["Ambleforth", "Brindlecombe", "Corrowmere", "Dappleworth", "Elderquist", "Fenwhistle", "Gorsebrook",
          "Harrowdene", "Inglethorn", "Juniperly", "Kestrelmoor", "Larkenfield", "Mistlecombe", "Nettlebury",
          "Oakhallow", "Pebbleworth", "Quillfeather", "Rowanstead", "Sorrelby", "Thistlecombe", "Umberdale",
          "Vetchley", "Wrenhallow", "Yarrowby"]
LABS = [("Neutrophils", "751-8", "10*9/L", 1.0, 6.0), ("Haemoglobin", "718-7", "g/L", 95, 140),
        ("Platelets", "777-3", "10*9/L", 120, 380), ("ALT", "1742-6", "U/L", 10, 60),
        ("Creatinine", "2160-0", "umol/L", 50, 110)]
SYMPTOMS = {"pain": ("frequency", "severity", "interference"), "fatigue": ("severity", "interference"),
            "nausea": ("frequency", "severity"), "hand_foot": ("severity",), "anxiety": ("frequency", "severity", "interference")}
BATCH = 200  # patients a transaction


@dataclass(frozen=True)
class Pathway:
    """Where one person is: receptors, lines of treatment so far (the last one current unless
    stopped), how long since the cancer spread (None: the caller's number of years)."""

    name: str
    receptors: tuple[str, str, str]  # ER, PR, HER2
    lines: tuple[tuple[str, str], ...]  # (modality, medicines) per line, first line first
    months: int | None = None
    sites: tuple[str, ...] = ()  # always among the sites of spread
    sex: str = "female"
    menopausal_status: str = "post"
    on_break: bool = False  # a break from the current line, still going on
    stopped: bool = False  # anticancer treatment stopped some weeks ago; supportive care since


CDK46 = ("targeted", "Letrozole and palbociclib")
PATHWAYS = [
    Pathway("new on a first line", ("positive", "positive", "low"), (("targeted", "Letrozole and ribociclib"),), months=2),
    Pathway("on a CDK4/6 inhibitor", ("positive", "negative", "zero"), (CDK46,)),
    Pathway("on chemotherapy", ("positive", "positive", "zero"),
            (CDK46, ("endocrine", "Fulvestrant"), ("chemotherapy", "Paclitaxel"))),
    Pathway("on capecitabine", ("positive", "positive", "low"),
            (("targeted", "Anastrozole and abemaciclib"), ("chemotherapy", "Capecitabine"))),
    Pathway("on a break", ("positive", "positive", "ultralow"), (CDK46, ("chemotherapy", "Capecitabine")), on_break=True),
    Pathway("stopped anticancer treatment", ("positive", "negative", "low"),
            (CDK46, ("chemotherapy", "Capecitabine"), ("antibody_drug_conjugate", "Trastuzumab deruxtecan")), stopped=True),
    Pathway("HER2-positive with brain metastases", ("negative", "negative", "positive"),
            (("chemotherapy", "Docetaxel, trastuzumab and pertuzumab"), ("antibody_drug_conjugate", "Trastuzumab deruxtecan"),
             ("targeted", "Tucatinib, trastuzumab and capecitabine")), sites=("brain",), menopausal_status="pre"),
    Pathway("triple negative", ("negative", "negative", "zero"),
            (("immunotherapy", "Pembrolizumab and paclitaxel"), ("antibody_drug_conjugate", "Sacituzumab govitecan"))),
    Pathway("a man with breast cancer", ("positive", "positive", "zero"),
            (("targeted", "Letrozole, goserelin and palbociclib"),), sex="male", menopausal_status="not_applicable"),
]

# The answers some last check-ins carry, each with the alert the rules raise for it.
# (Not the back pain and weak legs of the browser journeys, which look for Helen's alone.)
RED_FLAG_ANSWERS = ["breathless_or_chest_pain", "seizure_or_confusion"]
AMBER_FLAG_ANSWERS = ["uncontrolled_pain", "thirst_confusion", "vision_change"]


def nhs_number(rng: random.Random) -> str:
    """A valid NHS number in the 999 range, which the NHS keeps for testing and never issues."""
    while True:
        nine = f"999{rng.randrange(10**6):06d}"
        if (digit := check_digit(nine)) is not None:
            return nine + str(digit)


@dataclass
class Rows:
    """Rows per table for one patient."""

    by_table: dict[type, list[dict]]


@dataclass(frozen=True)
class Person:
    """What the generator decided for one person, beyond the pathway."""

    pathway: Pathway
    start: date  # when the cancer spread
    last_check_in: date  # the weekly check-ins stop here (some weeks missed)
    alert: Level | None  # what her last check-in raised


def _entry(patient_id: uuid.UUID, at: datetime, **fields) -> dict:
    return {"id": uuid.uuid4(), "patient_id": patient_id, "version": 1, "created_at": at, "updated_at": at, **fields}


def _person(rng: random.Random, today: date, years: int, pathway: Pathway) -> Person:
    # A few days either way, so that people check in on different days of the week.
    days = (pathway.months * 30 if pathway.months else 365 * years) + rng.randint(0, 6)
    # Most checked in within the week; about one in six has not for two to six weeks.
    gap = rng.randint(14, 42) if rng.random() < 0.17 else rng.randint(1, 6)
    alert = rng.choices([Level.RED, Level.AMBER, Level.GREEN, None], weights=[1, 2, 2, 6])[0] if gap < 14 else None
    return Person(pathway, today - timedelta(days=days), today - timedelta(days=gap), alert)


def patient_rows(rng: random.Random, today: date, years: int, seen_nhs: set[str], pathway: Pathway,
                 acknowledged_by: str = "N Nurse") -> Rows:
    person = _person(rng, today, years, pathway)
    pid, start = uuid.uuid4(), person.start
    created = datetime.combine(start, time(9), UTC)
    nhs = nhs_number(rng)
    while nhs in seen_nhs:
        nhs = nhs_number(rng)
    seen_nhs.add(nhs)
    rows: dict[type, list[dict]] = {table: [] for table in ORDER}
    er, pr, her2 = pathway.receptors
    man = pathway.sex == "male"
    rows[t.PatientRow].append({"id": pid, "version": 1, "given_name": rng.choice(GIVEN_MEN if man else GIVEN),
                               "family_name": rng.choice(FAMILY),
                               "date_of_birth": date(rng.randint(1940, 1990), rng.randint(1, 12), rng.randint(1, 28)),
                               "sex": pathway.sex, "nhs_number": nhs, "hospital_number": f"SYN{rng.randrange(10**7):07d}",
                               "phone": f"01632 960{rng.randrange(1000):03d}", "email": None, "town": "Leeds",
                               "country": "GB", "time_zone": "Europe/London", "created_at": created, "updated_at": created})
    rows[t.CancerProfileRow].append({"patient_id": pid, "version": 1, "primary_diagnosis_date": start - timedelta(days=900),
                                     "laterality": rng.choice(["left", "right"]), "histology": "ductal_nst",
                                     "er_status": er, "pr_status": pr, "her2_status": her2,
                                     "menopausal_status": pathway.menopausal_status, "metastatic_diagnosis_date": start,
                                     "de_novo": False, "notes": None})
    common = [s for s in ("bone", "liver", "lung", "distant_lymph_nodes") if s not in pathway.sites]
    for site in (*pathway.sites, *rng.sample(common, rng.randint(1, 3))):
        rows[t.MetastasisRow].append(_entry(pid, created, site=site, site_detail=None, diagnosed_on=start,
                                            confirmed_by_biopsy=False, notes=None))
    _treatments(rng, rows, pid, person, today, created)
    _team(rows, pid, created)
    _appointments(rng, rows, pid, today, created, person)
    _results(rng, rows, pid, person, today, acknowledged_by)
    return Rows(rows)


def _treatments(rng, rows, pid, person: Person, today: date, created: datetime) -> None:
    pathway, start = person.pathway, person.start
    lines = len(pathway.lines)
    span = (today - start).days
    room = 90 if pathway.stopped else 30  # the last line runs a while before it ends, or today
    cut = sorted(rng.sample(range(60, span - room), lines - 1)) if lines > 1 else []
    bounds = [start] + [start + timedelta(days=d) for d in cut] + [None]
    stopped_on = today - timedelta(days=rng.randint(20, 50)) if pathway.stopped else None
    for line, (modality, name) in enumerate(pathway.lines):
        first, last = bounds[line], bounds[line + 1]
        ends = last - timedelta(days=1) if last else stopped_on
        course = _entry(pid, created, modality=modality, name=name, line_of_treatment=line + 1, intent="disease_control",
                        start_date=first, end_date=ends,
                        stop_reason="progression" if last else "supportive_care_only" if stopped_on else None,
                        schedule=None, notes=None)
        rows[t.TreatmentCourseRow].append(course)
        if line == 0 and (ends or today) - first > timedelta(days=60):
            rows[t.TreatmentBreakRow].append(_entry(pid, created, course_id=course["id"], start_date=first + timedelta(days=40),
                                                    end_date=first + timedelta(days=54), planned=True,
                                                    reason="special_occasion", notes=None))
        if pathway.on_break and last is None:
            began = max(first + timedelta(days=1), today - timedelta(days=rng.randint(10, 30)))
            rows[t.TreatmentBreakRow].append(_entry(pid, created, course_id=course["id"], start_date=began, end_date=None,
                                                    planned=False, reason="side_effects", notes=None))
    if stopped_on:
        at = datetime.combine(stopped_on, time(12), UTC)
        rows[t.DecisionRow].append(_entry(pid, at, decided_on=stopped_on, participants="Patient, family and oncologist",
                                          options_discussed="Another line of treatment; stopping and supportive care.",
                                          chosen="Stop anticancer treatment; supportive care",
                                          rationale="Treatment no longer helping; what matters most is time at home.",
                                          revisit_when=None, stops_anticancer_treatment_on=stopped_on))


def _team(rows, pid, created) -> None:
    rows[t.CareTeamMemberRow] += [_entry(pid, created, name=n, role=r, organisation="Synthetic Hospital", phone=None, email=None)
                                  for n, r in (("Dr A Oncologist", "oncologist"), ("N Nurse", "secondary_nurse_specialist"),
                                               ("Dr G Practitioner", "gp"))]
    rows[t.ContactPointRow] += [
        _entry(pid, created, name="Nurse line", purpose="routine", phone="01632 960222", hours="Mon-Fri 09:00-17:00",
               when_to_call=None),
        _entry(pid, created, name="24-hour line", purpose="urgent", phone="01632 960999", hours="24/7", when_to_call=None)]


def _appointments(rng, rows, pid, today, created, person: Person) -> None:
    kind = "palliative" if person.pathway.stopped else "oncology_clinic"
    # About one in eight has nothing booked yet.
    for days in () if rng.random() < 0.12 else (rng.randint(2, 20), rng.randint(21, 60)):
        at = datetime.combine(today + timedelta(days=days), time(10, 30), UTC)
        rows[t.AppointmentRow].append(_entry(pid, created, starts_at=at, kind=kind, with_whom=None,
                                             location=None, notes=None))


def _results(rng, rows, pid, person: Person, today: date, acknowledged_by: str) -> None:
    start, days = person.start, (today - person.start).days
    check_ins = rows[t.CheckInRow]
    for week in range(days // 7 + 1):
        on = start + timedelta(days=7 * week + 1)
        if on > person.last_check_in:
            break
        if rng.random() < 0.05 and on < person.last_check_in - timedelta(days=7):
            continue  # a week missed now and then
        at = datetime.combine(on, time(10), UTC)
        symptoms = {code: {a: rng.choice((0, 0, 1, 1, 2, 3)) for a in attributes} for code, attributes in SYMPTOMS.items()}
        check_ins.append(_entry(pid, at, submitted_at=at, submitted_by="patient", symptoms=symptoms,
                                burden={"pain": rng.randint(0, 6), "tiredness": rng.randint(0, 6),
                                        "wellbeing": rng.randint(1, 6)},  # how unwell, 10 worst
                                red_flags={}, temperature_c=round(rng.uniform(36.2, 37.3), 1),
                                wellbeing=None, free_text=None))
    if person.alert and check_ins:
        _last_check_in_alerts(rng, rows, pid, check_ins, person.alert, acknowledged_by)
    now = datetime.combine(today, time(9), UTC)
    last = check_ins[-1]["submitted_at"] if check_ins else None
    if missed := missed_check_in(last, datetime.combine(start, time(9), UTC), now):
        rows[t.AlertRow].append(_alert_row(pid, None, missed, now, None))
    for visit in range(days // 21):
        taken = start + timedelta(days=21 * visit + 2)
        at = datetime.combine(taken, time(12), UTC)
        for test, loinc, unit, low, high in LABS:
            rows[t.LabResultRow].append(_entry(pid, at, taken_on=taken, test=test, loinc=loinc,
                                               value=round(rng.uniform(low * 0.8, high * 1.1), 1), unit=unit,
                                               reference_low=low, reference_high=high, laboratory=None))
    for month in range(days // 30):
        taken = start + timedelta(days=30 * month + 3)
        rows[t.TumourMarkerResultRow].append(_entry(pid, datetime.combine(taken, time(12), UTC), taken_on=taken,
                                                    marker="ca15_3", value=round(rng.uniform(15, 120), 1), unit="U/mL",
                                                    laboratory=None, assay=None))
    for quarter in range(days // 91):
        done = start + timedelta(days=91 * quarter + 5)
        rows[t.ScanRow].append(_entry(pid, datetime.combine(done, time(12), UTC), performed_on=done, modality="ct",
                                      body_area=None, impression=rng.choice(["stable", "responding", "progressing"]),
                                      report=None))


def _last_check_in_alerts(rng, rows, pid, check_ins: list[dict], level: Level, acknowledged_by: str) -> None:
    """Give the last check-in an answer at `level` and store the alert the rules raise for it,
    in the rules' own words (the red-flag answer's level and concern from clinical/red_flags.py;
    a burden score at the severe threshold, which the rules raise as amber; a rise in tiredness
    of the worsening points, raised as green). Red ones are acknowledged: someone is on it.
    Someone whose check-ins have stopped gets the missed check-in rule's own alert."""
    last, thresholds = check_ins[-1], AlertThresholds()
    if level is Level.GREEN:
        before = check_ins[-2]["burden"]["tiredness"] if len(check_ins) > 1 else 0
        now = min(10, before + thresholds.worsening_burden_points + rng.randint(0, 2))
        last["burden"] = {**last["burden"], "tiredness": now}
        finding = Finding("worsening", thresholds.worsening_level, "tiredness",
                          {"now": now, "previous": before, "baseline": before, "points": now - before})
    elif level is Level.AMBER and rng.random() < 0.5:
        score = rng.randint(thresholds.severe_burden, 10)
        last["burden"] = {**last["burden"], "pain": score}
        finding = Finding("severe", thresholds.severe_level, "pain", {"score": score, "threshold": thresholds.severe_burden})
    else:
        flag = BY_CODE[rng.choice(RED_FLAG_ANSWERS if level is Level.RED else AMBER_FLAG_ANSWERS)]
        last["red_flags"] = {flag.code: True}
        finding = Finding("red_flag", flag.level, flag.code, {"answer": "yes", "concern": flag.concern})
    acknowledged = finding.level is Level.RED or rng.random() < 0.3
    at = last["submitted_at"]
    rows[t.AlertRow].append(_alert_row(pid, last["id"], finding, at,
                                       (at + timedelta(minutes=rng.randint(5, 90)), acknowledged_by) if acknowledged else None))


def _alert_row(pid, check_in_id, finding: Finding, at: datetime, acknowledged: tuple[datetime, str] | None) -> dict:
    when, by = acknowledged or (None, None)
    return {"id": uuid.uuid4(), "version": 1, "patient_id": pid, "check_in_id": check_in_id, "rule": finding.rule,
            "level": finding.level.value, "item": finding.item, "detail": dict(finding.values),
            "state": "acknowledged" if acknowledged else "new", "created_at": at, "acknowledged_at": when,
            "acknowledged_by": by, "resolved_at": None, "resolved_by": None, "notes": None, "escalated_at": None,
            "outcome": None}


def generate(n_patients: int, years: int, seed: int = 1, today: date | None = None,
             pathways: list[Pathway] = PATHWAYS, taken_nhs_numbers: Iterable[str] = (),
             acknowledged_by: str = "N Nurse") -> Iterator[Rows]:
    """Patients in turn along `pathways`, so every pathway is there in any caseload of their number."""
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    seen: set[str] = set(taken_nhs_numbers)
    for number in range(n_patients):
        yield patient_rows(rng, today, years, seen, pathways[number % len(pathways)], acknowledged_by)


# Parents before children, so foreign keys hold at every batch.
ORDER = [t.PatientRow, t.CancerProfileRow, t.TreatmentCourseRow] + [
    row for row in t.ROW_FOR_KIND.values() if row is not t.TreatmentCourseRow] + [t.AlertRow]


def load(engine: Engine, batches: Iterator[Rows], team_id: uuid.UUID) -> int:
    """Insert everything, BATCH patients a transaction; returns the number of rows written."""
    total, chunk = 0, []
    for rows in batches:
        chunk.append(rows)
        if len(chunk) == BATCH:
            with engine.begin() as connection:
                total += write(connection, chunk, team_id)
            chunk = []
    with engine.begin() as connection:
        return total + write(connection, chunk, team_id)


def write(connection: Connection, batches: Iterable[Rows], team_id: uuid.UUID) -> int:
    """Insert these patients onto the team's caseload in the connection's transaction."""
    pending: dict[type, list[dict]] = {table: [] for table in ORDER}
    caseload = []
    for rows in batches:
        for table, items in rows.by_table.items():
            pending[table].extend(items)
        caseload.append({"team_id": team_id, "patient_id": rows.by_table[t.PatientRow][0]["id"]})
    written = 0
    for table in ORDER:
        if pending[table]:
            connection.execute(insert(table), pending[table])
            written += len(pending[table])
    if caseload:
        connection.execute(insert(t.CaseloadRow), caseload)
    return written + len(caseload)
