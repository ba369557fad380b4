"""Shared set-up for the trials pages and API tests: the fixture studies imported, and Alice's
record made that of the issue's woman: HER2-positive, ER-positive secondary breast cancer, treated
stable brain metastases, no treatment yet for secondary cancer (trastuzumab when it was early)."""

from __future__ import annotations

import shutil
from pathlib import Path

from alongside.domain import accounts, services
from alongside.domain.records import CancerProfile
from alongside.store.database import session_factory
from alongside.trials.importer import import_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov"
HEREDERA, TNBC, NEOADJUVANT, LUNG = "NCT05296798", "NCT06103864", "NCT06038539", "NCT05048797"


# The done-when studies and a few others: importing all 41 in every test took most of its time.
STUDIES = (HEREDERA, TNBC, NEOADJUVANT, LUNG, "NCT05894239", "NCT04862663", "NCT06112379", "NCT06131424")


def import_fixture_studies(engine, folder: Path) -> None:
    for nct_id in STUDIES:
        shutil.copy(FIXTURES / f"{nct_id}.json", folder)
    summary = import_path(session_factory(engine), folder)
    assert summary.added == len(STUDIES) and not summary.rejected, summary


def make_her2_positive(new_uow, world) -> None:
    with new_uow() as uow:
        nurse = accounts.actor_for(uow.users.get(world.nurse.user_id))
        patient = uow.patients.get(world.patient_a)
        profile = CancerProfile(er_status="positive", pr_status="negative", her2_status="positive",
                                menopausal_status="post", primary_diagnosis_date="2022-01-20",
                                metastatic_diagnosis_date="2026-09-01")
        services.update_cancer_profile(uow, nurse, world.patient_a, profile, patient.profile_version)
        course = uow.records.get(world.patient_a, services.kind("treatment-courses"), world.course_a)
        services.update_entry(uow, nurse, world.patient_a, "treatment-courses", world.course_a,
                              {"modality": "targeted", "name": "Trastuzumab", "intent": "curative",
                               "start_date": "2022-03-01", "end_date": "2023-03-01"}, course.version)
        services.add_entry(uow, nurse, world.patient_a, "metastases",
                           {"site": "brain", "site_detail": "Two lesions, treated with stereotactic radiotherapy, stable",
                            "diagnosed_on": "2026-09-01"})
        uow.commit()


def add_two_lines(new_uow, world) -> None:
    with new_uow() as uow:
        nurse = accounts.actor_for(uow.users.get(world.nurse.user_id))
        for line, (modality, name, start, end) in enumerate([
                ("chemotherapy", "Docetaxel, trastuzumab and pertuzumab", "2026-09-15", "2026-10-15"),
                ("chemotherapy", "Trastuzumab deruxtecan", "2026-10-20", None)], start=1):
            services.add_entry(uow, nurse, world.patient_a, "treatment-courses",
                               {"modality": modality, "name": name, "line_of_treatment": line, "start_date": start,
                                "end_date": end, "stop_reason": "progression" if end else None})
        uow.commit()
