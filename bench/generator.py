"""A synthetic caseload: N patients x Y years of realistic records, written straight into the
tables in batches (bulk Core inserts), deterministic from a seed. Nobody in it is real."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, insert

from alongside.domain.nhs_number import check_digit
from alongside.store import tables as t

GIVEN = ["Helen", "Sarah", "Aisha", "Mary", "Joanne", "Priya", "Grace", "Fatima", "Claire", "Nadia", "Ruth",
         "Olivia", "Margaret", "Chloe", "Ewa", "Siobhan", "Amara", "Lucy", "Deborah", "Mei"]
FAMILY = ["Marsh", "Okafor", "Khan", "Smith", "Jones", "Patel", "Williams", "Brown", "Taylor", "Nowak", "Evans",
          "Murphy", "Ahmed", "Wilson", "Chen", "Davies", "Hughes", "Roberts", "Walker", "Green", "Clarke", "Hall"]
LABS = [("Neutrophils", "751-8", "10*9/L", 1.0, 6.0), ("Haemoglobin", "718-7", "g/L", 95, 140),
        ("Platelets", "777-3", "10*9/L", 120, 380), ("ALT", "1742-6", "U/L", 10, 60),
        ("Creatinine", "2160-0", "umol/L", 50, 110)]
SYMPTOMS = {"pain": ("frequency", "severity", "interference"), "fatigue": ("severity", "interference"),
            "nausea": ("frequency", "severity"), "hand_foot": ("severity",), "anxiety": ("frequency", "severity", "interference")}
BATCH = 5000


def nhs_number(rng: random.Random) -> str:
    while True:
        nine = f"{rng.randrange(10**8, 10**9):09d}"
        if (digit := check_digit(nine)) is not None:
            return nine + str(digit)


@dataclass
class Rows:
    """Rows per table for one patient."""

    by_table: dict[type, list[dict]]


def _entry(patient_id: uuid.UUID, at: datetime, **fields) -> dict:
    return {"id": uuid.uuid4(), "patient_id": patient_id, "version": 1, "created_at": at, "updated_at": at, **fields}


def patient_rows(rng: random.Random, today: date, years: int, seen_nhs: set[str]) -> Rows:
    pid = uuid.uuid4()
    start = today - timedelta(days=365 * years)
    created = datetime.combine(start, time(9), UTC)
    nhs = nhs_number(rng)
    while nhs in seen_nhs:
        nhs = nhs_number(rng)
    seen_nhs.add(nhs)
    rows: dict[type, list[dict]] = {table: [] for table in (t.PatientRow, t.CancerProfileRow, *t.ROW_FOR_KIND.values())}
    rows[t.PatientRow].append({"id": pid, "version": 1, "given_name": rng.choice(GIVEN), "family_name": rng.choice(FAMILY),
                               "date_of_birth": date(rng.randint(1940, 1990), rng.randint(1, 12), rng.randint(1, 28)),
                               "sex": "female", "nhs_number": nhs, "hospital_number": f"H{rng.randrange(10**7):07d}",
                               "phone": None, "email": None, "town": "Leeds", "country": "GB",
                               "time_zone": "Europe/London", "created_at": created, "updated_at": created})
    rows[t.CancerProfileRow].append({"patient_id": pid, "version": 1, "primary_diagnosis_date": start - timedelta(days=900),
                                     "laterality": "left", "histology": "ductal_nst", "er_status": "positive",
                                     "pr_status": rng.choice(["positive", "negative"]),
                                     "her2_status": rng.choice(["low", "zero", "positive", "ultralow"]),
                                     "menopausal_status": "post", "metastatic_diagnosis_date": start,
                                     "de_novo": False, "notes": None})
    for site in rng.sample(["bone", "liver", "lung", "distant_lymph_nodes"], rng.randint(1, 3)):
        rows[t.MetastasisRow].append(_entry(pid, created, site=site, site_detail=None, diagnosed_on=start,
                                            confirmed_by_biopsy=False, notes=None))
    _treatments(rng, rows, pid, start, today, created)
    _team(rows, pid, created)
    _appointments(rng, rows, pid, today, created)
    _results(rng, rows, pid, start, today)
    return Rows(rows)


def _treatments(rng, rows, pid, start, today, created) -> None:
    lines = rng.randint(2, 4)
    cut = sorted(rng.sample(range(60, (today - start).days - 30), lines - 1))
    bounds = [start] + [start + timedelta(days=d) for d in cut] + [None]
    names = ["Letrozole and palbociclib", "Fulvestrant", "Capecitabine", "Paclitaxel", "Trastuzumab deruxtecan"]
    for line in range(lines):
        first, last = bounds[line], bounds[line + 1]
        course = _entry(pid, created, modality="chemotherapy" if line else "targeted", name=names[line],
                        line_of_treatment=line + 1, intent="disease_control", start_date=first,
                        end_date=last - timedelta(days=1) if last else None, stop_reason="progression" if last else None,
                        schedule=None, notes=None)
        rows[t.TreatmentCourseRow].append(course)
        if line == 0:
            rows[t.TreatmentBreakRow].append(_entry(pid, created, course_id=course["id"], start_date=first + timedelta(days=40),
                                                    end_date=first + timedelta(days=54), planned=True,
                                                    reason="special_occasion", notes=None))


def _team(rows, pid, created) -> None:
    rows[t.CareTeamMemberRow] += [_entry(pid, created, name=n, role=r, organisation="Synthetic Hospital", phone=None, email=None)
                                  for n, r in (("Dr A Oncologist", "oncologist"), ("N Nurse", "secondary_nurse_specialist"),
                                               ("Dr G Practitioner", "gp"))]
    rows[t.ContactPointRow] += [
        _entry(pid, created, name="Nurse line", purpose="routine", phone="01632 960222", hours="Mon-Fri 09:00-17:00",
               when_to_call=None),
        _entry(pid, created, name="24-hour line", purpose="urgent", phone="01632 960999", hours="24/7", when_to_call=None)]


def _appointments(rng, rows, pid, today, created) -> None:
    for days in (rng.randint(2, 20), rng.randint(21, 60)):
        at = datetime.combine(today + timedelta(days=days), time(10, 30), UTC)
        rows[t.AppointmentRow].append(_entry(pid, created, starts_at=at, kind="oncology_clinic", with_whom=None,
                                             location=None, notes=None))


def _results(rng, rows, pid, start, today) -> None:
    days = (today - start).days
    for week in range(days // 7):
        at = datetime.combine(start + timedelta(days=7 * week + 1), time(10), UTC)
        symptoms = {code: {a: rng.choice((0, 0, 1, 1, 2, 3)) for a in attributes} for code, attributes in SYMPTOMS.items()}
        rows[t.CheckInRow].append(_entry(pid, at, submitted_at=at, submitted_by="patient", symptoms=symptoms,
                                         burden={"pain": rng.randint(0, 8), "tiredness": rng.randint(0, 8),
                                                 "wellbeing": rng.randint(1, 6)},  # how unwell, 10 worst
                                         red_flags={}, temperature_c=round(rng.uniform(36.2, 37.3), 1),
                                         wellbeing=None, free_text=None))
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


def generate(n_patients: int, years: int, seed: int = 1, today: date | None = None) -> Iterator[Rows]:
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    seen: set[str] = set()
    for _ in range(n_patients):
        yield patient_rows(rng, today, years, seen)


# Parents before children, so foreign keys hold at every batch.
ORDER = [t.PatientRow, t.CancerProfileRow, t.TreatmentCourseRow] + [
    row for row in t.ROW_FOR_KIND.values() if row is not t.TreatmentCourseRow]


def load(engine: Engine, batches: Iterator[Rows], team_id: uuid.UUID) -> int:
    """Insert everything in batches of patients; returns the number of rows written."""
    total, pending = 0, {table: [] for table in ORDER}
    caseload: list[dict] = []

    def flush() -> int:
        written = 0
        with engine.begin() as connection:
            for table in ORDER:
                if pending[table]:
                    connection.execute(insert(table), pending[table])
                    written += len(pending[table])
                    pending[table] = []
            if caseload:
                connection.execute(insert(t.CaseloadRow), caseload)
                written += len(caseload)
                caseload.clear()
        return written

    for count, rows in enumerate(batches, start=1):
        for table, items in rows.by_table.items():
            pending[table].extend(items)
        caseload.append({"team_id": team_id, "patient_id": rows.by_table[t.PatientRow][0]["id"]})
        if count % 200 == 0:
            total += flush()
    return total + flush()
