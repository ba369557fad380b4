"""Factories: a small world of people and records, built through the real use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from alongside.domain import accounts, monitoring, services
from alongside.domain.monitoring import MonitoringSettings
from alongside.domain.accounts import SessionPolicy
from alongside.domain.people import SYSTEM, CarerInvitation, NewTeam, NewUser, AcceptInvitation
from alongside.domain.records import PatientDetails
from alongside.domain.vocab import CarerAccess, Role

PASSWORD = "correct horse battery"

# One valid example of every kind of entry, used by the tests that walk all kinds.
SAMPLES: dict[str, dict] = {
    "metastases": {"site": "bone", "site_detail": "L2 vertebra", "diagnosed_on": "2024-02-01"},
    "performance-status": {"assessed_on": "2025-01-10", "ecog": 1},
    "genomic-results": {"gene": "ESR1", "origin": "somatic", "finding": "detected", "variant": "Y537S"},
    "treatment-courses": {"modality": "endocrine", "name": "Anastrozole", "line_of_treatment": 1,
                          "start_date": "2024-03-01"},
    "dose-changes": {"course_id": None, "changed_on": "2024-05-01", "change": "Dose reduced"},
    "treatment-breaks": {"course_id": None, "start_date": "2024-06-01", "end_date": "2024-06-14",
                         "reason": "patient_choice"},
    "medicines": {"course_id": None, "name": "Letrozole", "purpose": "anticancer", "dose_value": 2.5,
                  "dose_unit": "mg", "schedule": "daily", "start_date": "2024-03-01",
                  "code_system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "72965",
                  "prescribed_by": "Dr Ada Example"},
    "allergies": {"substance": "Penicillin", "kind": "allergy", "reaction": "Rash", "severity": "moderate",
                  "criticality": "low", "recorded_on": "2024-01-01"},
    "care-team": {"name": "Dr Ada Example", "role": "oncologist"},
    "contact-points": {"name": "Nurse line", "purpose": "routine", "phone": "01632 960000", "hours": "mon-fri 9:00-17:00"},
    "appointments": {"starts_at": "2030-01-15T10:30:00+00:00", "kind": "oncology_clinic"},
    "goals": {"kind": "what_matters", "recorded_on": "2025-01-01", "in_own_words": "Gardening in spring."},
    "decisions": {"decided_on": "2025-01-05", "participants": "Patient and oncologist",
                  "options_discussed": "A or B", "chosen": "A"},
    "referrals": {"service": "physiotherapy", "status": "made", "referred_on": "2025-01-06"},
    "access-requests": {"drug": "Example-mab", "route": "individual_funding_request", "status": "submitted",
                        "requested_on": "2025-01-07"},
    "questions": {"kind": "question", "text": "Can I have my treatment closer to home?", "added_on": "2025-01-07"},
    "check-ins": {"submitted_at": "2025-01-08T09:00:00+00:00", "burden": {"pain": 2, "wellbeing": 3},
                  "symptoms": {"pain": {"frequency": 1, "severity": 1, "interference": 0}},
                  "red_flags": {"new_back_pain": False}},
    "lab-results": {"taken_on": "2025-01-09", "test": "Neutrophils", "loinc": "751-8", "value": 1.2, "unit": "10*9/L",
                    "reference_low": 2.0, "reference_high": 7.5},
    "tumour-markers": {"taken_on": "2025-01-09", "marker": "ca15_3", "value": 42.5},
    "scans": {"performed_on": "2025-01-10", "modality": "ct", "impression": "stable"},
    "body-measurements": {"measured_on": "2025-01-10", "measure": "weight", "value": 64.5, "unit": "kg"},
}


def sample(slug: str, course_id: UUID | None = None) -> dict:
    data = dict(SAMPLES[slug])
    if "course_id" in data:
        data["course_id"] = str(course_id)
    return data


@dataclass
class Person:
    user_id: UUID
    email: str
    password: str = PASSWORD


@dataclass
class World:
    team_id: UUID
    other_team_id: UUID
    patient_a: UUID
    patient_b: UUID
    alice: Person  # patient A
    bella: Person  # patient B
    nurse: Person  # clinician on the team caring for A and B
    stranger: Person  # clinician on another team
    carer: Person  # reads A's record
    admin: Person
    course_a: UUID
    course_b: UUID
    entries_b: dict[str, UUID] = field(default_factory=dict)


def details(given: str, family: str, nhs: str | None = None) -> PatientDetails:
    return PatientDetails(given_name=given, family_name=family, date_of_birth=date(1970, 5, 17), nhs_number=nhs)


def _user(uow, email: str, name: str, role: Role, **links) -> Person:
    user = accounts.create_user(uow, SYSTEM, NewUser(email=email, display_name=name, role=role, password=PASSWORD, **links))
    return Person(user.id, email)


def build_world(uow) -> World:
    team = accounts.create_team(uow, SYSTEM, NewTeam(name="Team One"))
    other = accounts.create_team(uow, SYSTEM, NewTeam(name="Team Two"))
    nurse = _user(uow, "nurse@example.org", "Nina Nurse", Role.CLINICIAN, team_id=team.id)
    stranger = _user(uow, "stranger@example.org", "Sid Stranger", Role.CLINICIAN, team_id=other.id)
    nurse_actor = accounts.actor_for(uow.users.get(nurse.user_id))
    a = services.register_patient(uow, nurse_actor, details("Alice", "Able", "9434765919"), team.id)
    b = services.register_patient(uow, nurse_actor, details("Bella", "Baker", "9990000018"), team.id)
    alice = _user(uow, "alice@example.org", "Alice Able", Role.PATIENT, patient_id=a.id)
    bella = _user(uow, "bella@example.org", "Bella Baker", Role.PATIENT, patient_id=b.id)
    admin = _user(uow, "admin@example.org", "Ada Admin", Role.ADMIN)
    course_a = services.add_entry(uow, nurse_actor, a.id, "treatment-courses", sample("treatment-courses")).id
    course_b = services.add_entry(uow, nurse_actor, b.id, "treatment-courses", sample("treatment-courses")).id
    entries_b = {slug: services.add_entry(uow, nurse_actor, b.id, slug, sample(slug, course_b)).id
                 for slug in SAMPLES if slug not in ("treatment-courses", "check-ins")}
    entries_b["check-ins"] = monitoring.submit_check_in(uow, nurse_actor, b.id, sample("check-ins"), None,
                                                         MonitoringSettings()).check_in.id
    entries_b["treatment-courses"] = course_b
    carer = _carer(uow, a.id, alice, "carl@example.org", CarerAccess.READ)
    return World(team.id, other.id, a.id, b.id, alice, bella, nurse, stranger, carer, admin, course_a, course_b, entries_b)


def _carer(uow, patient_id: UUID, patient: Person, email: str, access: CarerAccess) -> Person:
    actor = accounts.actor_for(uow.users.get(patient.user_id))
    token = accounts.invite_carer(uow, actor, patient_id, CarerInvitation(email=email, access=access), SessionPolicy())
    user = accounts.accept_invitation(uow, token, AcceptInvitation(display_name="Carl Carer", password=PASSWORD))
    return Person(user.id, email)
