"""A realistic synthetic record for trying Alongside: nobody real, dates relative to today.

Helen has hormone receptor-positive, HER2-low (HER2-negative) breast cancer that spread to bone
and liver; she is on her second line of treatment after a break during the first. Her husband
Mark signs in as her carer. Around her, the team's caseload holds 59 more synthetic people
(demo_caseload.py, the benchmarks' generator) at points along the pathway, with recent
check-ins, some weeks missed, and open alerts of every level. Phone numbers are from Ofcom's
range kept for drama (01632 960xxx), so none rings a real person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid5

from . import demo_caseload
from .domain import accounts, dose_diary, messages, monitoring, services
from .domain.errors import Conflict
from .domain.monitoring import MonitoringSettings
from .domain.accounts import SessionPolicy
from .domain.people import SYSTEM, AcceptInvitation, CarerInvitation, NewTeam, NewUser
from .domain.records import CancerProfile, PatientDetails
from .domain.vocab import CarerAccess, Role

NAMESPACE = UUID("6c1f9a34-3c5e-4c0e-9a59-6f8f4e2b7d10")
DEMO_PATIENT_ID = uuid5(NAMESPACE, "helen")


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str


LOGINS = [
    Login("patient", "helen@example.org", "helen-demo-2026"),
    Login("clinician", "jo.pearce@example.org", "nurse-demo-2026"),
    Login("carer", "mark.marsh@example.org", "carer-demo-2026"),
    Login("admin", "admin@example.org", "admin-demo-2026"),
]
LOGIN = {login.role: login for login in LOGINS}
CASELOAD_SIZE = 59  # beside Helen: a team of 60, about a fifth of a secondary breast cancer nurse's caseload


class NotADemoDatabase(Conflict):
    title = "Not a demo database"


def create_demo(uow, today: date | None = None) -> UUID:
    """Create the demo team, accounts and Helen's record, unless they exist. Returns her id.

    Only into a new database, or one the demo made: its logins and passwords are published, so
    adding them to a service's real database would open it to anyone who has read the README.
    Helen's record, under an id only the demo uses, marks a database the demo made."""
    if uow.patients.exists(DEMO_PATIENT_ID):
        return DEMO_PATIENT_ID
    if uow.patients.any() or uow.users.list() or uow.teams.list():
        raise NotADemoDatabase("This database already holds accounts or records that the demo did not make. "
                               "The demo adds logins whose passwords are published, so it runs only on a new "
                               "database or one it made: point ALONGSIDE_DATABASE_URL at a new database.")
    today = today or datetime.now(UTC).date()
    team = uow.teams.by_name("Secondary Breast Care, Demo Hospital") or accounts.create_team(
        uow, SYSTEM, NewTeam(name="Secondary Breast Care, Demo Hospital"))
    patient_login, nurse_login, admin_login = LOGIN["patient"], LOGIN["clinician"], LOGIN["admin"]
    nurse = accounts.create_user(uow, SYSTEM, NewUser(email=nurse_login.email, display_name="Jo Pearce",
                                                      role=Role.CLINICIAN, password=nurse_login.password, team_id=team.id))
    nurse_actor = accounts.actor_for(nurse)
    details = PatientDetails(given_name="Helen", family_name="Marsh", date_of_birth=date(1968, 4, 12),
                             nhs_number="9990000018", hospital_number="RDM123456", phone="01632 960111",
                             email=patient_login.email, town="Leeds", country="GB")
    patient = services.register_patient(uow, nurse_actor, details, team.id, DEMO_PATIENT_ID)
    services.update_cancer_profile(uow, nurse_actor, patient.id, _profile(today), patient.profile_version)
    entered = datetime.combine(today, time(8, 30), UTC)  # results were entered this morning
    for slug, data in _entries(today):
        services.add_entry(uow, nurse_actor, patient.id, slug, data, now=entered)
    courses = {e.data.name: e.id for e in uow.records.list(patient.id, _kind("treatment-courses"))}
    for slug, data in _treatment_events(today, courses):
        services.add_entry(uow, nurse_actor, patient.id, slug, data)
    helen = accounts.create_user(uow, SYSTEM, NewUser(email=patient_login.email, display_name="Helen Marsh",
                                                      role=Role.PATIENT, password=patient_login.password,
                                                      patient_id=patient.id))
    for answers in _check_ins(today):
        monitoring.submit_check_in(uow, accounts.actor_for(helen), patient.id, answers, None, MonitoringSettings(),
                                   now=datetime.fromisoformat(answers["submitted_at"]))
    _medicines_and_messages(uow, accounts.actor_for(helen), nurse_actor, patient.id, courses, today)
    _invite_carer(uow, helen, patient.id)
    accounts.create_user(uow, SYSTEM, NewUser(email=admin_login.email, display_name="Sam Admin", role=Role.ADMIN,
                                              password=admin_login.password))
    add_caseload(uow, team.id, today, acknowledged_by=nurse.display_name)
    import_demo_trials(uow)
    return patient.id


def _medicines_and_messages(uow, helen, nurse, patient_id: UUID, courses: dict[str, UUID], today: date) -> None:
    """Her capecitabine tablets in cycles with this cycle's days marked, and a question to the team
    answered, so that the cycle diary and a message thread have something to show."""
    line_start = date.fromisoformat(_ago(today, 200))
    tablets = services.add_entry(uow, nurse, patient_id, "medicines", {
        "name": "Capecitabine", "purpose": "anticancer", "dose_value": 825, "dose_unit": "mg/m2", "route": "oral",
        "schedule": "cycle", "cycle_days_on": 14, "cycle_days_off": 7, "cycle_start_date": line_start.isoformat(),
        "start_date": line_start.isoformat(), "course_id": str(courses["Capecitabine"]),
        "prescribed_by": "Dr Anita Rao", "notes": "Twice a day, within 30 minutes after breakfast and the evening meal."})
    now = datetime.combine(today, time(9, 0), UTC)
    cycle_day = (today - line_start).days % 21  # 0 is day 1
    for back in range(min(cycle_day, 14), 0, -1):
        mark = "missed" if back == 3 else "taken"  # one evening's tablets forgotten, as happens
        dose_diary.mark_dose(uow, helen, patient_id, {"medication_id": str(tablets.id), "day": _ago(today, back),
                                                      "mark": mark}, now)
    asked = messages.send_message(uow, helen, patient_id, {
        "category": "side_effect", "text": "My fingertips are getting sore and dry again, like in the summer. "
                                           "Is it worth using a different cream before the next cycle starts?"},
        None, MonitoringSettings(), now=datetime.combine(today, time(8, 0), UTC) - timedelta(days=2))
    messages.reply_to_thread(uow, nurse, patient_id, asked.entry.id, {
        "text": "Thank you for telling us, Helen. Keep the urea cream on twice a day and bring your hands to "
                "clinic with Dr Rao so she can look at them. Call the nurse line if the skin cracks or blisters."},
        None, MonitoringSettings(), now=datetime.combine(today, time(11, 0), UTC) - timedelta(days=2))
    services.add_entry(uow, nurse, patient_id, "treatment-breaks", {
        "course_id": str(courses["Denosumab"]), "start_date": _ago(today, 10), "planned": True, "reason": "other",
        "notes": "Paused before a tooth extraction; to start again when the dentist says the gum has healed."})


def _invite_carer(uow, helen, patient_id: UUID) -> None:
    """Mark, invited by Helen through the ordinary invitation, reads her record and may check in for her."""
    carer = LOGIN["carer"]
    token = accounts.invite_carer(uow, accounts.actor_for(helen), patient_id,
                                  CarerInvitation(email=carer.email, access=CarerAccess.READ_CHECK_IN), SessionPolicy())
    accounts.accept_invitation(uow, token, AcceptInvitation(display_name="Mark Marsh", password=carer.password))


def add_caseload(uow, team_id: UUID, today: date, acknowledged_by: str) -> None:
    """The rest of the team's caseload, written in bulk in the demo's transaction."""
    people = demo_caseload.generate(CASELOAD_SIZE, years=2, seed=17, today=today, taken_nhs_numbers={"9990000018"},
                                    acknowledged_by=acknowledged_by)
    uow.db.flush()  # the team's row, which the caseload refers to
    demo_caseload.write(uow.db.connection(), people, team_id)


def import_demo_trials(uow) -> int:
    """The 41 ClinicalTrials.gov studies shipped in content/trials/studies.zip (their sources in
    content/trials/SOURCES.md), so that Helen's trials page shows matches. Returns how many."""
    from importlib.resources import as_file, files

    from .trials.eligibility_text import EXTRACTOR_VERSION, extract_criteria
    from .trials.importer import open_sources
    from .trials.study import load_document, parse_study

    with as_file(files("alongside.content").joinpath("trials/studies.zip")) as path:
        sources = open_sources(path)
        count = 0
        for source in sources.items:
            document = load_document(source.read())
            study = parse_study(document)
            criteria = [c.model_dump(mode="json") for c in extract_criteria(study)]
            uow.trials.upsert(study, document, criteria, EXTRACTOR_VERSION)
            count += 1
    return count


def _kind(slug: str):
    from .domain.records import RECORD_KINDS

    return RECORD_KINDS[slug]


def _ago(today: date, days: int) -> str:
    return (today - timedelta(days=days)).isoformat()


def _at(today: date, days_ahead: int, hour: int, minute: int = 0) -> str:
    day = today + timedelta(days=days_ahead)
    while day.weekday() >= 5:  # clinics run on weekdays
        day += timedelta(days=1)
    return _london(day, hour, minute)


def _on(today: date, days_ago: int, hour: int, minute: int = 0) -> str:
    return _london(today - timedelta(days=days_ago), hour, minute)


def _london(day: date, hour: int, minute: int) -> str:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hour, minute), ZoneInfo("Europe/London")).isoformat()


def _profile(today: date) -> CancerProfile:
    return CancerProfile(primary_diagnosis_date=date(today.year - 9, 3, 14), laterality="left", histology="ductal_nst",
                         er_status="positive", pr_status="positive", her2_status="low", menopausal_status="post",
                         metastatic_diagnosis_date=today - timedelta(days=3 * 365 + 40), de_novo=False)


def _entries(today: date) -> list[tuple[str, dict]]:
    secondary = 3 * 365 + 40
    line_two = 200
    return [
        ("metastases", {"site": "bone", "site_detail": "Spine (T7-T10) and pelvis", "diagnosed_on": _ago(today, secondary),
                        "confirmed_by_biopsy": True}),
        ("metastases", {"site": "liver", "site_detail": "Two lesions, right lobe", "diagnosed_on": _ago(today, line_two + 10)}),
        ("performance-status", {"assessed_on": _ago(today, secondary), "ecog": 0, "assessed_by": "Dr Anita Rao"}),
        ("performance-status", {"assessed_on": _ago(today, 30), "ecog": 1, "assessed_by": "Dr Anita Rao"}),
        ("genomic-results", {"gene": "BRCA1", "origin": "germline", "finding": "not_detected", "test_name": "Germline panel",
                             "reported_on": _ago(today, secondary - 60)}),
        ("genomic-results", {"gene": "BRCA2", "origin": "germline", "finding": "not_detected", "test_name": "Germline panel",
                             "reported_on": _ago(today, secondary - 60)}),
        ("genomic-results", {"gene": "PIK3CA", "origin": "somatic", "finding": "detected", "variant": "H1047R",
                             "test_name": "Tissue next-generation sequencing", "reported_on": _ago(today, line_two + 20)}),
        ("treatment-courses", {"modality": "surgery", "name": "Left wide local excision and sentinel node biopsy",
                               "intent": "curative", "start_date": f"{today.year - 9}-04-20", "end_date": f"{today.year - 9}-04-20",
                               "stop_reason": "completed"}),
        ("treatment-courses", {"modality": "endocrine", "name": "Letrozole (adjuvant)", "intent": "curative",
                               "start_date": f"{today.year - 9}-08-01", "end_date": _ago(today, secondary + 5),
                               "stop_reason": "progression"}),
        ("treatment-courses", {"modality": "targeted", "name": "Fulvestrant and palbociclib", "line_of_treatment": 1,
                               "intent": "disease_control", "start_date": _ago(today, secondary - 21),
                               "end_date": _ago(today, line_two + 5), "stop_reason": "progression",
                               "schedule": "Fulvestrant 500 mg monthly; palbociclib 125 mg daily, 3 weeks on, 1 week off"}),
        ("treatment-courses", {"modality": "bone_strengthening", "name": "Denosumab", "intent": "supportive",
                               "start_date": _ago(today, secondary - 21), "schedule": "120 mg every 4 weeks"}),
        ("treatment-courses", {"modality": "chemotherapy", "name": "Capecitabine", "line_of_treatment": 2,
                               "intent": "disease_control", "start_date": _ago(today, line_two),
                               "schedule": "1,000 mg/m2 twice daily, days 1-14 of 21"}),
        ("care-team", {"name": "Dr Anita Rao", "role": "oncologist", "organisation": "Demo Hospital"}),
        ("care-team", {"name": "Jo Pearce", "role": "secondary_nurse_specialist", "organisation": "Demo Hospital",
                       "phone": "01632 960222"}),
        ("care-team", {"name": "Dr Tom Fletcher", "role": "gp", "organisation": "Parkside Surgery", "phone": "01632 960333"}),
        ("contact-points", {"name": "24-hour acute oncology line", "purpose": "urgent", "phone": "01632 960999",
                            "hours": "24/7", "when_to_call": "A temperature of 37.5 C or more, feeling suddenly unwell, "
                                                            "new back pain or weakness in your legs, or anything that worries you."}),
        ("contact-points", {"name": "Secondary breast cancer nurse line", "purpose": "routine", "phone": "01632 960222",
                            "hours": "Mon-Fri 09:00-17:00", "when_to_call": "Questions about treatment, side effects "
                                                                            "that are not urgent, appointments."}),
        ("appointments", {"starts_at": _at(today, 9, 9, 30), "kind": "blood_test", "location": "Day unit, Demo Hospital"}),
        # Past visits on the days of the last bloods and the last scan: their results attach to them.
        ("appointments", {"starts_at": _on(today, 5, 9, 10), "kind": "blood_test", "location": "Day unit, Demo Hospital"}),
        ("appointments", {"starts_at": _on(today, 20, 11, 40), "kind": "scan", "location": "Radiology, Demo Hospital"}),
        ("appointments", {"starts_at": _at(today, 11, 14, 15), "kind": "oncology_clinic", "with_whom": "Dr Anita Rao",
                          "location": "Oncology outpatients, Demo Hospital"}),
        ("goals", {"kind": "what_matters", "recorded_on": _ago(today, 60),
                   "in_own_words": "Being well enough to walk the dog every day and to see my daughter graduate in July."}),
        ("goals", {"kind": "place_of_care", "recorded_on": _ago(today, 60),
                   "in_own_words": "At home for as long as possible."}),
        ("decisions", {"decided_on": _ago(today, line_two + 3), "participants": "Helen, her husband Mark, Dr Rao, Jo Pearce",
                       "options_discussed": "Capecitabine; paclitaxel; alpelisib with fulvestrant; a clinical trial.",
                       "chosen": "Capecitabine", "rationale": "Tablets at home, little hair loss; Helen wanted to avoid "
                                                               "weekly hospital visits and was worried about high blood sugar.",
                       "revisit_when": "Scan shows growth, or side effects stop her walking the dog."}),
        ("questions", {"kind": "question", "added_on": _ago(today, 3),
                       "text": "Could the dose be lowered again so my hands can heal?"}),
        ("questions", {"kind": "topic", "added_on": _ago(today, 2),
                       "text": "How long could I stay on capecitabine if the scans stay good?"}),
        ("referrals", {"service": "psychology", "status": "seen", "referred_on": _ago(today, 150),
                       "reason": "Anxiety before scans"}),
        ("scans", {"performed_on": _ago(today, secondary + 10), "modality": "ct", "body_area": "Chest, abdomen and pelvis",
                   "impression": "progressing", "report": "Sclerotic metastases in T7-T10 and the left ilium. No disease "
                                                          "in the chest or abdomen.", "non_target": "PD", "new_lesions": "yes"}),
        ("scans", {"performed_on": _ago(today, secondary - 150), "modality": "ct", "body_area": "Chest, abdomen and pelvis",
                   "impression": "stable", "report": "Bone metastases unchanged. No new disease."}),
        ("scans", {"performed_on": _ago(today, line_two + 12), "modality": "ct", "body_area": "Chest, abdomen and pelvis",
                   "impression": "progressing", "report": "Two new liver lesions (segment 6, 34 mm; segment 7, 21 mm); "
                                                          "bone disease stable.",
                   "target_lesions": "Liver segment 6: 34\nLiver segment 7: 21", "non_target": "non-CR/non-PD",
                   "new_lesions": "yes"}),
        ("scans", {"performed_on": _ago(today, 110), "modality": "ct", "body_area": "Chest, abdomen and pelvis",
                   "impression": "stable", "report": "Liver lesions slightly smaller; bone disease stable.",
                   "target_lesions": "Liver segment 6: 28\nLiver segment 7: 17", "non_target": "non-CR/non-PD",
                   "new_lesions": "no"}),
        ("scans", {"performed_on": _ago(today, 20), "modality": "ct", "body_area": "Chest, abdomen and pelvis",
                   "impression": "responding", "report": "Liver lesions smaller; bone disease stable.",
                   "target_lesions": "Liver segment 6: 22\nLiver segment 7: 14", "non_target": "non-CR/non-PD",
                   "new_lesions": "no"}),
        *_tumour_markers(today, secondary, line_two),
        *_blood_tests(today, line_two),
    ]


# CA 15-3 (U/mL): down on the first line to a low point, then a slow rise for eight months
# before the scan that showed progression; down again on capecitabine. (days ago, value)
def _tumour_markers(today: date, secondary: int, line_two: int) -> list[tuple[str, dict]]:
    first_line = [(secondary - 20, 64), (secondary - 110, 41), (secondary - 200, 29), (secondary - 300, 24),
                  (secondary - 420, 23), (secondary - 540, 25)]
    rising = [(line_two + 240, 27), (line_two + 180, 33), (line_two + 120, 41), (line_two + 70, 55),
              (line_two + 35, 72), (line_two + 10, 88)]
    second_line = [(150, 74), (100, 61), (50, 52), (7, 47)]
    return [("tumour-markers", {"taken_on": _ago(today, days), "marker": "ca15_3", "value": value, "unit": "U/mL",
                                "reference_high": 30, "laboratory": "Demo Hospital Pathology",
                                "assay": "Electrochemiluminescence immunoassay"})
            for days, value in first_line + rising + second_line]


def _blood_tests(today: date, line_two: int) -> list[tuple[str, dict]]:
    """Blood counts every three weeks on capecitabine, the last showing grade 3 neutropenia
    (0.8 x 10^9/L), and liver, kidney and bone chemistry every six weeks."""
    counts = {"Neutrophils": ("751-8", "10*9/L", 2.0, 7.5, [3.9, 3.1, 2.6, 2.9, 2.2, 2.4, 1.9, 2.1, 1.6, 0.8]),
              "Haemoglobin": ("718-7", "g/L", 115, 165, [128, 124, 121, 119, 120, 117, 116, 114, 113, 112]),
              "Platelets": ("777-3", "10*9/L", 150, 400, [265, 240, 231, 219, 226, 210, 198, 205, 190, 184])}
    chemistry = {"ALT": ("1742-6", "U/L", 0, 33, [22, 25, 31, 29, 38]),
                 "Creatinine": ("2160-0", "umol/L", 45, 84, [66, 70, 68, 72, 74]),
                 "Calcium": ("17861-6", "mmol/L", 2.2, 2.6, [2.38, 2.41, 2.36, 2.44, 2.39]),
                 "Albumin": ("1751-7", "g/L", 35, 50, [41, 40, 39, 38, 36])}
    tests = []
    for every, panel in ((21, counts), (42, chemistry)):
        for name, (loinc, unit, low, high, values) in panel.items():
            for index, value in enumerate(values):
                days = 5 + every * (len(values) - 1 - index)
                tests.append(("lab-results", {"taken_on": _ago(today, days), "test": name, "loinc": loinc,
                                              "value": value, "unit": unit, "reference_low": low, "reference_high": high,
                                              "laboratory": "Demo Hospital Pathology"}))
    return tests


def _check_ins(today: date) -> list[dict]:
    """Three weekly check-ins: hand-foot soreness building on capecitabine, the last one severe."""
    def week(days_ago: int, hands: int, tiredness: int, unwell: int, note: str | None = None) -> dict:
        answers = {"submitted_at": f"{_ago(today, days_ago)}T10:12:00+00:00",
                   "symptoms": {"hand_foot": {"severity": hands}, "fatigue": {"severity": 1, "interference": 1},
                                "pain": {"frequency": 1, "severity": 1, "interference": 0}},
                   "burden": {"tiredness": tiredness, "pain": 2, "anxiety": 3, "wellbeing": unwell},
                   "red_flags": {"feeling_unwell_on_chemo": False, "new_back_pain": False}, "temperature_c": 36.8}
        return answers | ({"free_text": note} if note else {})

    return [week(20, 1, 3, 3), week(13, 2, 4, 4), week(6, 3, 4, 4, "Sore hands and feet this cycle; hard to hold a cup.")]


def _treatment_events(today: date, courses: dict[str, UUID]) -> list[tuple[str, dict]]:
    first_line = courses["Fulvestrant and palbociclib"]
    return [
        ("dose-changes", {"course_id": str(first_line), "changed_on": _ago(today, 3 * 365 - 60),
                          "change": "Palbociclib reduced from 125 mg to 100 mg", "reason": "Low neutrophils (grade 3)"}),
        ("treatment-breaks", {"course_id": str(first_line), "start_date": _ago(today, 2 * 365),
                              "end_date": _ago(today, 2 * 365 - 21), "planned": True, "reason": "special_occasion",
                              "notes": "Daughter's wedding and a family holiday."}),
        ("dose-changes", {"course_id": str(courses["Capecitabine"]), "changed_on": _ago(today, 60),
                          "change": "Capecitabine reduced to 825 mg/m2", "reason": "Hand-foot syndrome"}),
    ]
