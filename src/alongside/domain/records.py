"""The patient's record: every kind of entry, validated where it enters.

Each model holds the fields a person edits; identity (id, patient, version) is kept by the
repository. `RECORD_KINDS` lists the kinds kept as lists under a patient, so the API, the
forms, the export and the authorisation check all walk the same table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Callable, Collection, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, ValidationInfo, field_validator,
    model_validator,
)

from .dates import long_date
from .errors import Conflict, InvalidInput, NeedsConfirming, NotFound

from .nhs_number import format_nhs_number, normalise_nhs_number
from ..clinical import dose_cycles
from ..clinical.body_measures import BODY_MEASURES, in_canonical_unit as body_in_canonical_unit
from ..clinical.lab_tests import LAB_TESTS, LabTest, accepted_unit, identify
from ..clinical.markers import MARKER_PLAUSIBLE_HIGH, MARKER_UNITS, marker_in_canonical_unit, plausible_marker_value
from ..clinical.opening_hours import OpeningHours
from ..clinical.recist import PLAUSIBLE_LESION_MAX_MM
from ..clinical.units import UnitError, convert, parse_dose_unit, parse_unit
from .coding import CodeFormatError, checked_code
from .vocab import (
    BodyMeasure,
    AccessRoute, AccessStatus, AllergyCategory, AllergyCriticality, AllergyKind, AllergyStatus, AppointmentKind,
    BreakReason, CheckInBy, CodeSystem, ContactPurpose, DoseSchedule, GenomicFinding, MedicinePurpose, MedicineRoute,
    ReactionSeverity,
    GenomicOrigin, Gene, GoalKind, Her2Status, Histology, Intent, Laterality, MenopausalStatus,
    MetastasisSite, Modality, ReceptorStatus, ReferralService, ReferralStatus, Role, ScanImpression,
    ScanModality, Sex, StopReason, NewLesions, NonTargetResponse, TeamRole, TumourMarker, QuestionKind,
)

# A day's grace: a date typed late in the evening in one time zone is already tomorrow in UTC.
_FUTURE_GRACE = timedelta(days=1)
_EARLIEST = date(1900, 1, 1)


def _not_in_future(value: date) -> date:
    if value > datetime.now(UTC).date() + _FUTURE_GRACE:
        raise ValueError("This date is in the future")
    if value < _EARLIEST:
        raise ValueError("This date is before 1900")
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("Give the time with its UTC offset, for example 2026-03-01T14:30:00+00:00")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-12:00 is in year 10000 in UTC, past Python's calendar
        raise ValueError("This time is outside the calendar once converted to UTC") from None


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
PastDate = Annotated[date, AfterValidator(_not_in_future)]
Moment = Annotated[datetime, AfterValidator(_aware)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=30, pattern=r"^[0-9+() -]+$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254,
                                         pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


def _check_order(earlier: date | None, later: date | None, later_field: str, message: str) -> None:
    if earlier and later and later < earlier:
        raise _FieldError(later_field, message)


class _FieldError(ValueError):
    """A cross-field rule that names the field the person should change."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class RecordModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse text holding NUL or other C0 control characters (tab and new lines aside), in any
        field and both databases alike: PostgreSQL cannot store NUL, and a 500 there once lost a
        check-in with a red flag in it. Decided here, at the edge, once for every model."""
        if not _stored(info) and _has_control_character(value):
            raise ValueError("This text contains a control character (such as NUL) that cannot be stored. "
                             "Remove it and try again")
        return value


M = TypeVar("M", bound=RecordModel)


# --- The person --------------------------------------------------------------------------------

class PatientDetails(RecordModel):
    given_name: Name = Field(title="Given name")
    family_name: Name = Field(title="Family name")
    date_of_birth: PastDate = Field(title="Date of birth")
    sex: Sex = Field(Sex.FEMALE, title="Sex")
    nhs_number: str | None = Field(None, title="NHS number", description="10 digits, on letters from the NHS")
    hospital_number: Annotated[str, StringConstraints(max_length=30)] | None = Field(None, title="Hospital number")
    phone: Phone | None = Field(None, title="Phone")
    email: Email | None = Field(None, title="Email")
    town: Annotated[str, StringConstraints(max_length=100)] | None = Field(None, title="Town or city")
    country: Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Z]{2}$")] = Field(
        "GB", title="Country", description="Two-letter country code, for example GB")
    time_zone: str = Field("Europe/London", title="Time zone")

    @field_validator("nhs_number")
    @classmethod
    def _nhs_number(cls, value: str | None) -> str | None:
        return normalise_nhs_number(value) if value else None

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("Unknown time zone: use a name such as Europe/London") from None
        return value

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def nhs_number_display(self) -> str | None:
        return format_nhs_number(self.nhs_number) if self.nhs_number else None


class CancerProfile(RecordModel):
    """The facts about the cancer itself that every treatment decision starts from."""

    primary_diagnosis_date: PastDate | None = Field(None, title="First diagnosed")
    laterality: Laterality = Field(Laterality.UNKNOWN, title="Side")
    histology: Histology = Field(Histology.UNKNOWN, title="Type of breast cancer")
    er_status: ReceptorStatus = Field(ReceptorStatus.UNKNOWN, title="Oestrogen receptor (ER)")
    pr_status: ReceptorStatus = Field(ReceptorStatus.UNKNOWN, title="Progesterone receptor (PR)")
    her2_status: Her2Status = Field(Her2Status.UNKNOWN, title="HER2 status")
    menopausal_status: MenopausalStatus = Field(MenopausalStatus.UNKNOWN, title="Menopausal status")
    stage_at_diagnosis: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, title="Stage at first diagnosis",
        description="As the staging report gives it, for example 'Clinical IIB (cT3 cN0 cM0), AJCC 8th edition'")
    metastatic_diagnosis_date: PastDate | None = Field(None, title="Secondary cancer diagnosed")
    de_novo: bool = Field(False, title="Secondary at first diagnosis (de novo)")
    notes: LongText | None = Field(None, title="Notes")

    @model_validator(mode="after")
    def _dates_in_order(self) -> CancerProfile:
        _check_order(self.primary_diagnosis_date, self.metastatic_diagnosis_date, "metastatic_diagnosis_date",
                     "The secondary diagnosis cannot be before the first diagnosis")
        return self

    @property
    def hormone_receptor_positive(self) -> bool | None:
        statuses = {self.er_status, self.pr_status}
        if ReceptorStatus.POSITIVE in statuses:
            return True
        return False if statuses == {ReceptorStatus.NEGATIVE} else None


class Metastasis(RecordModel):
    site: MetastasisSite = Field(title="Where")
    site_detail: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Detail", description="For example 'spine T8-T10'")
    diagnosed_on: PastDate | None = Field(None, title="Found on")
    confirmed_by_biopsy: bool = Field(False, title="Confirmed by biopsy")
    notes: LongText | None = Field(None, title="Notes")


class PerformanceStatus(RecordModel):
    """ECOG/WHO performance status (Oken et al., Am J Clin Oncol 1982), 0 to 4."""

    assessed_on: PastDate = Field(title="Assessed on")
    ecog: int = Field(ge=0, le=4, title="ECOG score (0-4)")
    assessed_by: Annotated[str, StringConstraints(max_length=100)] | None = Field(None, title="Assessed by")


class GenomicResult(RecordModel):
    gene: Gene = Field(title="Gene or marker")
    origin: GenomicOrigin = Field(title="Tested in")
    finding: GenomicFinding = Field(title="Result")
    variant: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Variant or score", description="For example 'H1047R' or 'CPS 12'")
    test_name: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Test")
    reported_on: PastDate | None = Field(None, title="Reported on")


# --- Treatment ---------------------------------------------------------------------------------

class TreatmentCourse(RecordModel):
    modality: Modality = Field(title="Type of treatment")
    name: ShortText = Field(title="Treatment", description="Drugs or procedure, for example 'Letrozole and ribociclib'")
    line_of_treatment: int | None = Field(None, ge=1, le=30, title="Line of treatment",
                                          description="For treatment of secondary cancer: 1 for the first line, 2 for the second...")
    intent: Intent = Field(Intent.DISEASE_CONTROL, title="Aim")
    start_date: date = Field(title="Started")
    end_date: date | None = Field(None, title="Stopped")
    stop_reason: StopReason | None = Field(None, title="Why it stopped")
    schedule: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, title="Dose and schedule")
    notes: LongText | None = Field(None, title="Notes")
    # The team's choice of check-in questions for this line (domain/check_in_items.py): symptom
    # codes added to those the treatment brings in, and linked ones taken out. Core symptoms are
    # always asked and cannot be taken out (hazard H55).
    check_in_added: list[str] = Field(default_factory=list, title="Check-in symptoms added for this treatment",
                                      max_length=50)
    check_in_removed: list[str] = Field(default_factory=list, title="Check-in symptoms not asked for this treatment",
                                        max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> TreatmentCourse:
        from .check_in_items import check_team_choice

        _check_order(self.start_date, self.end_date, "end_date", "The stop date cannot be before the start date")
        if self.stop_reason and not self.end_date:
            raise _FieldError("end_date", "Give the date it stopped, or leave 'why it stopped' empty")
        self.check_in_added = list(dict.fromkeys(self.check_in_added))
        self.check_in_removed = list(dict.fromkeys(self.check_in_removed))
        if problem := check_team_choice(self.check_in_added, self.check_in_removed):
            field, _, message = problem.partition(": ")
            raise _FieldError(field, message)
        return self

    @property
    def is_current(self) -> bool:
        return self.end_date is None


class DoseChange(RecordModel):
    course_id: UUID = Field(title="Treatment")
    changed_on: PastDate = Field(title="Changed on")
    change: ShortText = Field(title="Change", description="For example 'Ribociclib reduced from 600 mg to 400 mg'")
    reason: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, title="Why")


class TreatmentBreak(RecordModel):
    course_id: UUID = Field(title="Treatment")
    start_date: date = Field(title="Break started")
    end_date: date | None = Field(None, title="Break ended")
    planned: bool = Field(False, title="Planned break")
    reason: BreakReason = Field(title="Reason")
    notes: LongText | None = Field(None, title="Notes")

    @model_validator(mode="after")
    def _in_order(self) -> TreatmentBreak:
        _check_order(self.start_date, self.end_date, "end_date", "The end of the break cannot be before its start")
        return self


# --- Medicines and allergies --------------------------------------------------------------------

def _check_coding(system: CodeSystem | None, code: str | None, allowed: Collection[CodeSystem]) -> str | None:
    """A code needs its system and a system its code; the code must have that system's form."""
    if system is None and code is None:
        return None
    if code is None:
        raise _FieldError("code", "Give the code, or leave 'coded in' empty")
    if system is None:
        raise _FieldError("code_system", "Choose which system this code is from")
    if system not in allowed:
        raise _FieldError("code_system", "Choose one of: " + ", ".join(s.label for s in allowed))
    try:
        return checked_code(system, code)
    except CodeFormatError as exc:
        raise _FieldError("code", str(exc)) from None


CodeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
MEDICINE_CODE_SYSTEMS = (CodeSystem.DMD, CodeSystem.RXNORM)


class Medication(RecordModel):
    """A medicine she takes (or took): what, how much, how often, from when to when.

    A cycle schedule is typed, so the days on and off can be counted: day 1 of the first cycle
    is `cycle_start_date`, then `cycle_days_on` days taking it and `cycle_days_off` days not,
    over and over (palbociclib 21 on, 7 off; capecitabine 14 on, 7 off)."""

    name: ShortText = Field(title="Medicine", description="Its generic name, for example 'Capecitabine'")
    code_system: CodeSystem | None = Field(None, title="Coded in", description="dm+d or RxNorm, if the code is known")
    code: CodeText | None = Field(None, title="Code", description="For example the dm+d VMP or RxNorm code")
    code_display: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Code's name")
    purpose: MedicinePurpose = Field(title="Anticancer or supportive")
    dose_value: float | None = Field(None, gt=0, le=1_000_000, title="Dose", description="How much in one dose")
    dose_unit: Annotated[str, StringConstraints(max_length=30)] | None = Field(
        None, title="Dose unit", description="For example mg, micrograms, mL, mg/m2 or tablets")
    route: MedicineRoute = Field(MedicineRoute.ORAL, title="How it is taken")
    schedule: DoseSchedule = Field(DoseSchedule.DAILY, title="How often")
    every_n_days: int | None = Field(None, ge=2, le=366, title="Every how many days",
                                     description="Only for 'every so many days', for example 28")
    cycle_days_on: int | None = Field(None, ge=1, le=365, title="Days on in each cycle",
                                      description="Only for cycles, for example 21")
    cycle_days_off: int | None = Field(None, ge=1, le=365, title="Days off in each cycle",
                                       description="Only for cycles, for example 7")
    cycle_start_date: date | None = Field(None, title="Day 1 of the first cycle",
                                          description="Only for cycles; the start date if left empty")
    start_date: date | None = Field(None, title="Started")
    stop_date: date | None = Field(None, title="Stopped")
    prescribed_by: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Prescribed by")
    course_id: UUID | None = Field(None, title="Part of treatment")
    notes: LongText | None = Field(None, title="Notes")

    @model_validator(mode="after")
    def _consistent(self) -> Medication:
        self.code = _check_coding(self.code_system, self.code, MEDICINE_CODE_SYSTEMS)
        self._check_dose()
        _check_order(self.start_date, self.stop_date, "stop_date", "The stop date cannot be before the start date")
        self._check_schedule()
        return self

    def _check_dose(self) -> None:
        if self.dose_unit is not None and self.dose_value is None:
            raise _FieldError("dose_value", "Give the dose, or leave its unit empty")
        if self.dose_value is not None and self.dose_unit is None:
            raise _FieldError("dose_unit", "Give the unit of the dose, for example mg")
        if self.dose_unit is not None:
            try:
                self.dose_unit = parse_dose_unit(self.dose_unit)
            except UnitError as exc:
                raise _FieldError("dose_unit", str(exc)) from None

    def _check_schedule(self) -> None:
        cycle = self.schedule is DoseSchedule.CYCLE
        if (self.every_n_days is not None) != (self.schedule is DoseSchedule.EVERY_N_DAYS):
            raise _FieldError("every_n_days", "Give every how many days only for 'every so many days'"
                              if self.every_n_days is not None else "Give every how many days it is taken")
        for name in ("cycle_days_on", "cycle_days_off"):
            if cycle and getattr(self, name) is None:
                raise _FieldError(name, "A cycle needs its days on and its days off, for example 21 and 7")
            if not cycle and getattr(self, name) is not None:
                raise _FieldError(name, "Days on and off are only for a schedule in cycles")
        if not cycle and self.cycle_start_date is not None:
            raise _FieldError("cycle_start_date", "Day 1 of a cycle is only for a schedule in cycles")
        if cycle:
            self.cycle_start_date = self.cycle_start_date or self.start_date
            if self.cycle_start_date is None:
                raise _FieldError("cycle_start_date", "Give day 1 of the first cycle, or the start date")
            _check_order(self.start_date, self.cycle_start_date, "cycle_start_date",
                         "Day 1 of the first cycle cannot be before the start date")
            _check_order(self.cycle_start_date, self.stop_date, "stop_date",
                         "The stop date cannot be before day 1 of the first cycle")

    @property
    def dose_text(self) -> str | None:
        """'1500 mg', '2 tablet': the UCUM code without the braces of a counted form."""
        if self.dose_value is None:
            return None
        return f"{self.dose_value:g} {self.dose_unit.strip('{}')}"

    @property
    def schedule_text(self) -> str:
        """'14 days on, 7 days off', 'every 28 days', 'every day'."""
        if self.schedule is DoseSchedule.CYCLE:
            return f"{self.cycle_days_on} days on, {self.cycle_days_off} days off"
        if self.schedule is DoseSchedule.EVERY_N_DAYS:
            return f"every {self.every_n_days} days"
        return self.schedule.label.lower()

    def is_current_on(self, day: date) -> bool:
        """Started (or start not known) and not yet stopped on `day`."""
        return (self.start_date is None or self.start_date <= day) and (self.stop_date is None or day <= self.stop_date)

    def cycle_day(self, day: date) -> int | None:
        """For a cycle schedule, which day of its cycle `day` is (1 = the first day on); None for
        other schedules, and before the first cycle or after the stop date."""
        if self.schedule is not DoseSchedule.CYCLE or self.cycle_start_date is None or day < self.cycle_start_date:
            return None
        if self.stop_date is not None and day > self.stop_date:
            return None
        return self._where(day).day_of_cycle

    def is_dose_day(self, day: date) -> bool | None:
        """For a cycle schedule, whether `day` is one of its days on (None for other schedules)."""
        return None if self.cycle_day(day) is None else self._where(day).on_day

    def _where(self, day: date) -> dose_cycles.CycleDay:
        # The diary's own arithmetic (clinical/dose_cycles.py), so the two never disagree.
        return dose_cycles.cycle_day(dose_cycles.CycleSchedule(self.cycle_days_on, self.cycle_days_off,
                                                               self.cycle_start_date), day)


class Allergy(RecordModel):
    """An allergy or intolerance: to what, what happened, how bad, and whether it still stands."""

    substance: ShortText = Field(title="To", description="A medicine, food or other substance, for example 'Penicillin'")
    code_system: CodeSystem | None = Field(None, title="Coded in", description="dm+d, RxNorm or SNOMED CT, if known")
    code: CodeText | None = Field(None, title="Code")
    code_display: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Code's name")
    kind: AllergyKind = Field(AllergyKind.ALLERGY, title="Allergy or intolerance")
    category: AllergyCategory = Field(AllergyCategory.MEDICATION, title="Kind of substance")
    reaction: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        None, title="Reaction", description="What happened, for example 'rash and swollen lips'")
    severity: ReactionSeverity | None = Field(None, title="How severe the reaction was")
    criticality: AllergyCriticality = Field(AllergyCriticality.UNABLE_TO_ASSESS, title="Risk of a dangerous reaction")
    status: AllergyStatus = Field(AllergyStatus.ACTIVE, title="Status")
    recorded_on: PastDate | None = Field(None, title="Recorded on")
    notes: LongText | None = Field(None, title="Notes")

    @model_validator(mode="after")
    def _coded(self) -> Allergy:
        self.code = _check_coding(self.code_system, self.code, tuple(CodeSystem))
        return self


# --- Team, contacts, appointments --------------------------------------------------------------

class CareTeamMember(RecordModel):
    name: Name = Field(title="Name")
    role: TeamRole = Field(title="Role")
    organisation: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Hospital or practice")
    phone: Phone | None = Field(None, title="Phone")
    email: Email | None = Field(None, title="Email")


class ContactPoint(RecordModel):
    name: ShortText = Field(title="Name", description="For example 'Secondary breast cancer nurse line'")
    purpose: ContactPurpose = Field(title="For")
    phone: Phone = Field(title="Phone")
    hours: str = Field(title="Open", description="For example 'Mon-Fri 09:00-17:00' or '24/7'")
    when_to_call: Annotated[str, StringConstraints(max_length=1000)] | None = Field(None, title="When to call")

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        return str(OpeningHours.parse(value))

    @property
    def opening_hours(self) -> OpeningHours:
        return OpeningHours.parse(self.hours)


class Appointment(RecordModel):
    starts_at: Moment = Field(title="Date and time")
    kind: AppointmentKind = Field(title="Type")
    with_whom: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="With")
    location: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Where")
    notes: LongText | None = Field(None, title="Notes")


# --- Goals, decisions, referrals, access -------------------------------------------------------

class Goal(RecordModel):
    kind: GoalKind = Field(title="About")
    recorded_on: PastDate = Field(title="Recorded on")
    in_own_words: LongText = Field(title="In the patient's own words")


class Decision(RecordModel):
    decided_on: PastDate = Field(title="Decided on")
    participants: ShortText = Field(title="Who took part")
    options_discussed: LongText = Field(title="Options discussed")
    chosen: ShortText = Field(title="What was chosen")
    rationale: LongText | None = Field(None, title="Why")
    revisit_when: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, title="Revisit if")
    # Set only by a decision to stop anticancer treatment: from this date, supportive care only.
    stops_anticancer_treatment_on: date | None = Field(
        None, title="Anticancer treatment stops on",
        description="Only for a decision to stop anticancer treatment and continue with supportive care")


class Referral(RecordModel):
    service: ReferralService = Field(title="To")
    status: ReferralStatus = Field(title="Status")
    referred_on: PastDate | None = Field(None, title="Referred on")
    reason: Annotated[str, StringConstraints(max_length=1000)] | None = Field(None, title="Reason")


class AccessRequest(RecordModel):
    drug: ShortText = Field(title="Drug")
    route: AccessRoute = Field(title="Route")
    status: AccessStatus = Field(title="Status")
    requested_on: PastDate | None = Field(None, title="Requested on")
    decided_on: PastDate | None = Field(None, title="Decided on")
    notes: LongText | None = Field(None, title="Notes")

    @model_validator(mode="after")
    def _in_order(self) -> AccessRequest:
        _check_order(self.requested_on, self.decided_on, "decided_on", "The decision cannot be before the request")
        return self


class PatientQuestion(RecordModel):
    """A question or topic she wants to bring to her next appointment, in her words."""

    kind: QuestionKind = Field(QuestionKind.QUESTION, title="This is")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] = Field(
        title="In your words")
    added_on: PastDate = Field(title="Added on")
    answered: bool = Field(False, title="Answered or talked about")


# --- Results -----------------------------------------------------------------------------------

class SymptomAnswer(RecordModel):
    """One symptom's answers, 0-4 each; an attribute not asked or skipped is None."""

    frequency: int | None = Field(None, ge=0, le=4)
    severity: int | None = Field(None, ge=0, le=4)
    interference: int | None = Field(None, ge=0, le=4)


Score10 = Annotated[int, Field(ge=0, le=10)]


class CheckIn(RecordModel):
    """A check-in as given. Skipped items are absent, never zero; grades are derived on submit."""

    submitted_at: Moment = Field(title="Submitted at")
    submitted_by: CheckInBy = Field(CheckInBy.PATIENT, title="Completed by")
    symptoms: dict[str, SymptomAnswer] = Field(default_factory=dict, title="Symptoms")
    burden: dict[str, Score10] = Field(default_factory=dict, title="How things are now (0-10)")
    red_flags: dict[str, bool] = Field(default_factory=dict, title="Urgent questions")
    temperature_c: float | None = Field(None, title="Temperature (C)")
    # The old overall score pointed the other way (0 worst - 10 best) from the 0-10 item
    # burden `wellbeing` (0 well - 10 as unwell as can be). One scale is kept: see _one_wellbeing_scale.
    wellbeing: int | None = Field(
        None, ge=0, le=10, title="Overall wellbeing, old scale (0 worst - 10 best)",
        description="Deprecated: send burden.wellbeing (0 = well, 10 = as unwell as you could be). "
                    "Given alone, it is kept as burden.wellbeing = 10 minus it; never stored as sent.")
    free_text: Annotated[str, StringConstraints(max_length=5000)] | None = Field(None, title="Anything else")

    @model_validator(mode="after")
    def _one_wellbeing_scale(self) -> CheckIn:
        """The old 0 worst - 10 best score, from a stored check-in, an old client or an old FHIR
        export, becomes the one scale: how unwell = 10 minus it, unless that was answered too."""
        if self.wellbeing is not None:
            if "wellbeing" not in self.burden:
                self.burden = {**self.burden, "wellbeing": 10 - self.wellbeing}
            self.wellbeing = None
        return self

    @property
    def unwell(self) -> int | None:
        """Overall, how unwell she feels: 0 = well, 10 = as unwell as she could be."""
        return self.burden.get("wellbeing")

    @field_validator("temperature_c")
    @classmethod
    def _plausible_temperature(cls, value: float | None) -> float | None:
        from ..clinical.red_flags import check_temperature

        if value is None:
            return None
        try:
            return check_temperature(value)
        except ValueError as exc:
            raise ValueError(f"{exc}. Give it in degrees Celsius, for example 37.2") from None

    @model_validator(mode="after")
    def _known_items(self, info: ValidationInfo) -> CheckIn:
        from ..clinical.red_flags import BY_CODE
        from .instrument import instrument

        if _stored(info):
            return self

        questions = instrument()
        for code, answer in self.symptoms.items():
            symptom = questions.symptom(code)
            if symptom is None:
                raise _FieldError(f"symptoms.{code}", "Not a symptom this check-in asks about")
            for attribute in ("frequency", "severity", "interference"):
                if getattr(answer, attribute) is not None and attribute not in symptom.attributes:
                    raise _FieldError(f"symptoms.{code}.{attribute}", f"{symptom.label} is not asked by {attribute}")
        known_burden = {item.code for item in questions.burden.items}
        for code in self.burden:
            if code not in known_burden:
                raise _FieldError(f"burden.{code}", "Not an item of this check-in")
        for code in self.red_flags:
            if code not in BY_CODE:
                raise _FieldError(f"red_flags.{code}", "Not a question of this check-in")
        now = (info.context or {}).get("now") or datetime.now(UTC)  # the service's clock, when it gives one
        if self.submitted_at > now + timedelta(minutes=5):
            raise _FieldError("submitted_at", "A check-in cannot be dated in the future")
        return self


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _has_control_character(value: Any) -> bool:
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if isinstance(value, dict):
        return any(_has_control_character(k) or _has_control_character(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_has_control_character(v) for v in value)
    return False


def _stored(info: ValidationInfo) -> bool:
    """True when a model is read back from the store, where it was validated on the way in."""
    return bool(info.context and info.context.get("stored"))


class LabResult(RecordModel):
    taken_on: PastDate = Field(title="Taken on")
    test: ShortText = Field(title="Test", description="For example 'Neutrophils'")
    loinc: Annotated[str, StringConstraints(pattern=r"^\d{1,7}-\d$")] | None = Field(None, title="LOINC code")
    value: float = Field(title="Result")
    unit: Annotated[str, StringConstraints(min_length=1, max_length=30)] = Field(title="Unit (UCUM)", description="For example 10*9/L")
    reference_low: float | None = Field(None, title="Normal range from")
    reference_high: float | None = Field(None, title="Normal range to")
    laboratory: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Laboratory")

    @model_validator(mode="after")
    def _range(self, info: ValidationInfo) -> LabResult:
        if _stored(info):  # checked when it was saved; reading it back need not pay for UCUM again
            return self._canonical_if_possible()
        if self.reference_low is not None and self.reference_high is not None and self.reference_high < self.reference_low:
            raise _FieldError("reference_high", "The top of the normal range is below its bottom")
        try:
            _parsed_unit(self.unit)
        except UnitError as exc:
            raise _FieldError("unit", str(exc)) from None
        test = identify_lab_test(self)
        if test is None:  # never kept silently: a test we do not know cannot be checked or graded
            raise _FieldError("test", unknown_test_message(self.test))
        by_name = identify(self.test)
        if self.loinc and identify(self.loinc) is test and by_name is not None and by_name is not test:
            raise _FieldError("loinc", f"{self.loinc} is the LOINC code of {test.name}, not of {by_name.name}")
        try:
            accepted_unit(test, self.unit)
        except UnitError as exc:
            raise _FieldError("unit", str(exc)) from None
        value = in_canonical_unit(test, self.value, self.unit, field="unit")
        if not test.possible(value):
            raise _FieldError("value", f"{self.value:g} {self.unit} is not a possible {test.name.lower()} result; "
                                       "check the number and the unit")
        return self._in_canonical_form(test)

    def _in_canonical_form(self, test: LabTest) -> LabResult:
        """Kept in the catalogue's name and canonical UCUM unit, the value and range converted:
        one series per test however the unit was spelt ("x10^9/L", "10*9/L", "×10⁹/L")."""
        factor = _factor(test.key, self.unit, "unit")
        if factor != 1.0:
            self.value = _tidy(self.value * factor)
            self.reference_low = None if self.reference_low is None else _tidy(self.reference_low * factor)
            self.reference_high = None if self.reference_high is None else _tidy(self.reference_high * factor)
        self.test, self.unit = test.name, test.unit
        return self

    def _canonical_if_possible(self) -> LabResult:
        """An entry saved before results were kept canonical has its unit and name as typed:
        read it in the canonical form when it converts, and as it was when it does not."""
        test = identify_lab_test(self)
        if test is None or (self.unit == test.unit and self.test == test.name):
            return self
        try:
            return self._in_canonical_form(test)
        except ValueError:  # a unit that never converted: shown as typed, and not graded
            return self


def identify_lab_test(result: LabResult) -> LabTest | None:
    """The catalogue test a result is, by its LOINC code first, then by its name."""
    return (identify(result.loinc) if result.loinc else None) or identify(result.test)


def in_canonical_unit(test: LabTest, value: float, unit: str, field: str = "unit") -> float:
    return value * _factor(test.key, unit, field)


def unknown_test_message(name: str) -> str:
    return (f"'{name}' is not a blood test Alongside knows, so it could not be checked or graded. "
            f"Give one of: {', '.join(t.name for t in LAB_TESTS.values())} (or its LOINC code)")


def _tidy(x: float) -> float:
    # A converted value carries binary noise (12.1 g/dL -> 121.00000000000001 g/L); twelve
    # significant figures is beyond any laboratory's precision.
    return float(f"{x:.12g}")


@lru_cache(maxsize=1024)
def _parsed_unit(unit: str) -> str:
    """Parsing a UCUM expression takes milliseconds, and imports repeat the same few units."""
    return parse_unit(unit)


@lru_cache(maxsize=1024)
def _factor(test_key: str, unit: str, field: str) -> float:
    """How many of the test's own unit one of `unit` is; cached because imports repeat units."""
    test = LAB_TESTS[test_key]
    try:
        return convert(1.0, _parsed_unit(unit), test.unit, molar_mass=test.molar_mass)
    except UnitError:
        raise _FieldError(field, f"{unit} does not fit {test.name}, which is measured in {test.unit}") from None


class TumourMarkerResult(RecordModel):
    taken_on: PastDate = Field(title="Taken on")
    marker: TumourMarker = Field(title="Marker")
    # 0 up to the marker's plausible high, checked by _canonical_unit in the marker's unit: an
    # entry stored before that rule (1e308, a negative) must still be read back.
    value: float = Field(title="Result")
    unit: Annotated[str, StringConstraints(min_length=1, max_length=30)] | None = Field(
        None, title="Unit", description="Left empty: U/mL for CA 15-3 and CA 27.29, ug/L (the same as ng/mL) for CEA")
    laboratory: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Laboratory")
    assay: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Assay or method")
    # The laboratory's own upper reference limit: assays differ, so there is no one number to
    # assume (docs/clinical-rules.md); without it a result is shown with no range.
    reference_high: float | None = Field(None, ge=0, allow_inf_nan=False, title="Normal range up to",
                                         description="The top of the laboratory's normal range, in the same unit")

    @model_validator(mode="after")
    def _canonical_unit(self, info: ValidationInfo) -> TumourMarkerResult:
        """Kept in the marker's own unit (clinical/markers.py MARKER_UNITS); any other unit is
        refused naming those it accepts. Stored entries that kept a unit as typed are read in the
        marker's unit when it is one of them, and as typed otherwise."""
        accepted = MARKER_UNITS[self.marker.value]
        if self.unit is None:
            self.unit = accepted[0]
        else:
            try:
                given = self.unit
                self.value, self.unit = marker_in_canonical_unit(self.marker.value, self.marker.label, self.value,
                                                                 given)
                if self.reference_high is not None:
                    self.reference_high = marker_in_canonical_unit(self.marker.value, self.marker.label,
                                                                   self.reference_high, given)[0]
            except (UnitError, OverflowError) as exc:
                if not _stored(info):
                    raise _FieldError("unit", str(exc)) from None
        if not _stored(info) and not plausible_marker_value(self.marker.value, self.value):
            raise _FieldError("value", f"{self.value:g} {self.unit} is not a possible {self.marker.label} result: "
                                       f"it must be 0 to {MARKER_PLAUSIBLE_HIGH[self.marker.value]:,.0f} {accepted[0]}; "
                                       "check the number and the unit")
        return self


class Scan(RecordModel):
    performed_on: PastDate = Field(title="Done on")
    modality: ScanModality = Field(title="Type of scan")
    body_area: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, title="Of")
    impression: ScanImpression | None = Field(None, title="Radiologist's impression")
    report: Annotated[str, StringConstraints(max_length=20000)] | None = Field(None, title="Report")
    target_lesions: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        None, title="Measured target lesions (RECIST 1.1)",
        description="One per line as 'where: size in mm', for example 'Liver segment 6: 23'. "
                    "Lymph nodes (with 'node' in the name) are measured across their short axis.")
    non_target: NonTargetResponse | None = Field(None, title="Non-target disease")
    new_lesions: NewLesions | None = Field(None, title="New lesions")

    @model_validator(mode="after")
    def _lesions(self) -> Scan:
        measured_lesions(self.target_lesions)  # raises naming the line that cannot be read
        return self


class BodyMeasurement(RecordModel):
    """A weight or height, kept in kg or cm whatever unit it was given in (lb, stone, inches...)."""

    measured_on: PastDate = Field(title="Measured on")
    measure: BodyMeasure = Field(title="Measurement")
    value: float = Field(title="Value", allow_inf_nan=False)
    unit: Annotated[str, StringConstraints(max_length=20)] = Field(
        title="Unit", description="kg, g, lb, stone for weight; cm, m, inches, feet for height")
    notes: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, title="Notes")

    @model_validator(mode="after")
    def _in_the_records_unit(self) -> BodyMeasurement:
        try:
            self.value = body_in_canonical_unit(self.measure.value, self.value, self.unit)
        except UnitError as exc:
            raise _FieldError("unit", f"'{self.unit}' is not a unit of {self.measure.label.lower()}: {exc}") from None
        except ValueError as exc:
            raise _FieldError("value", str(exc)) from None
        self.unit = BODY_MEASURES[self.measure.value].unit
        return self


@dataclass(frozen=True)
class MeasuredLesion:
    site: str
    nodal: bool
    diameter_mm: float


_LESION = re.compile(r"^\s*(?P<site>[^:]+?)\s*:\s*(?P<size>-?\d+(?:\.\d+)?)\s*(?:mm)?\s*$", re.IGNORECASE)
_NODE_WORDS = re.compile(r"\b(node|nodes|nodal|lymph)\b", re.IGNORECASE)
MAX_TARGET_LESIONS = 5  # RECIST 1.1: at most five target lesions, two per organ


def measured_lesions(text: str | None) -> list[MeasuredLesion]:
    """The target lesions typed on a scan, one 'where: size in mm' per line."""
    lesions = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _LESION.match(line)
        if not match:
            raise _FieldError("target_lesions", f"Line {number} needs a place and a size in mm, such as 'Liver: 23'")
        size = float(match["size"])
        # 0 is a lesion that has gone: RECIST 1.1 needs it to record a complete response. A wider
        # lesion than the limit is an entry error (clinical/recist.py).
        if size < 0 or size > PLAUSIBLE_LESION_MAX_MM:
            raise _FieldError("target_lesions", f"Line {number}: a size must be between 0 (gone) and "
                                                f"{PLAUSIBLE_LESION_MAX_MM:g} mm")
        lesions.append(MeasuredLesion(match["site"], bool(_NODE_WORDS.search(match["site"])), size))
    if len(lesions) > MAX_TARGET_LESIONS:
        raise _FieldError("target_lesions", f"RECIST 1.1 takes at most {MAX_TARGET_LESIONS} target lesions")
    return lesions


# --- The registry of list kinds ----------------------------------------------------------------

class IdInUse(Conflict):
    """A client's own id for a new entry that is already stored for something else.

    Ids are unique across all records of a kind, so an id of another patient's entry cannot be
    stored again; the answer is the same words, naming no one, whether the id is another
    patient's or one of her own reused for a different entry. (A retry of the same entry with
    its id is no conflict: it gets the first one back.) That the id is in use somewhere is all
    it tells, and only to someone who already holds the id."""

    def __init__(self, field: str = "id") -> None:
        super().__init__("This id cannot be used for a new entry. Leave the id out to have one made, or send "
                         "a new one.", field=field)


@dataclass(frozen=True)
class RecordKind:
    slug: str
    model: type[RecordModel]
    title: str
    plural: str
    order_by: str
    summary: Callable[[Any], str]
    # Besides the patient's clinicians, who else may add and change entries of this kind.
    patient_writes: bool = False
    carer_check_in_writes: bool = False
    parent_field: str | None = None  # a field that points at another entry of this patient
    # Submitted through its own use case (a check-in raises alerts) and never edited afterwards.
    submitted_only: bool = False


def _label(value: Any) -> str:
    return getattr(value, "label", str(value))


RECORD_KINDS: dict[str, RecordKind] = {k.slug: k for k in [
    RecordKind("metastases", Metastasis, "Site of spread", "Where the cancer has spread", "diagnosed_on",
               lambda r: _label(r.site) + (f" ({r.site_detail})" if r.site_detail else "")),
    RecordKind("performance-status", PerformanceStatus, "Performance status", "Performance status", "assessed_on",
               lambda r: f"ECOG {r.ecog}"),
    RecordKind("genomic-results", GenomicResult, "Genomic result", "Genomic results", "reported_on",
               lambda r: f"{_label(r.gene)} ({r.origin.value}): {_label(r.finding)}" + (f" {r.variant}" if r.variant else "")),
    RecordKind("treatment-courses", TreatmentCourse, "Treatment", "Treatments", "start_date",
               lambda r: f"{r.name} ({_label(r.modality)})"),
    RecordKind("dose-changes", DoseChange, "Dose change", "Dose changes", "changed_on", lambda r: r.change,
               parent_field="course_id"),
    RecordKind("treatment-breaks", TreatmentBreak, "Treatment break", "Treatment breaks", "start_date",
               lambda r: f"Break: {_label(r.reason)}", parent_field="course_id"),
    RecordKind("medicines", Medication, "Medicine", "Medicines", "start_date", lambda r: _medicine_line(r),
               parent_field="course_id"),
    RecordKind("allergies", Allergy, "Allergy or intolerance", "Allergies and intolerances", "recorded_on",
               lambda r: f"{_label(r.kind)}: {r.substance}" + (f" ({r.reaction})" if r.reaction else "")),
    RecordKind("care-team", CareTeamMember, "Care team member", "Care team", "name",
               lambda r: f"{r.name}, {_label(r.role)}", patient_writes=True),
    RecordKind("contact-points", ContactPoint, "Contact point", "Whom to call", "name",
               lambda r: f"{r.name}: {r.phone} ({r.hours})"),
    RecordKind("appointments", Appointment, "Appointment", "Appointments", "starts_at",
               lambda r: _label(r.kind) + (f" with {r.with_whom}" if r.with_whom else ""), patient_writes=True),
    RecordKind("goals", Goal, "Goal or preference", "Goals and preferences", "recorded_on",
               lambda r: f"{_label(r.kind)}: {r.in_own_words[:80]}", patient_writes=True),
    RecordKind("decisions", Decision, "Decision", "Decisions", "decided_on", lambda r: r.chosen),
    RecordKind("referrals", Referral, "Referral", "Referrals", "referred_on",
               lambda r: f"{_label(r.service)}: {_label(r.status)}"),
    RecordKind("access-requests", AccessRequest, "Access request", "Access to treatments", "requested_on",
               lambda r: f"{r.drug} via {_label(r.route)}: {_label(r.status)}"),
    RecordKind("questions", PatientQuestion, "Question for the team", "Questions for the team", "added_on",
               lambda r: r.text[:80], patient_writes=True),
    RecordKind("check-ins", CheckIn, "Check-in", "Check-ins", "submitted_at",
               lambda r: _check_in_line(r),
               patient_writes=True, carer_check_in_writes=True, submitted_only=True),
    RecordKind("lab-results", LabResult, "Blood test result", "Blood tests", "taken_on",
               lambda r: f"{r.test} {r.value:g} {r.unit}"),
    RecordKind("tumour-markers", TumourMarkerResult, "Tumour marker", "Tumour markers", "taken_on",
               lambda r: f"{_label(r.marker)} {r.value:g} {r.unit}"),
    RecordKind("scans", Scan, "Scan", "Scans", "performed_on",
               lambda r: _label(r.modality) + (f": {_label(r.impression)}" if r.impression else "")),
    RecordKind("body-measurements", BodyMeasurement, "Weight or height", "Weight and height", "measured_on",
               lambda r: f"{_label(r.measure)} {r.value:g} {r.unit}", patient_writes=True),
]}


def _medicine_line(r: Medication) -> str:
    return f"{r.name}" + (f" {r.dose_text}" if r.dose_text else "") + f", {r.schedule_text}"


def _check_in_line(r: CheckIn) -> str:
    """A check-in in the record's list: its urgent answers and temperature before its symptoms
    (its alerts are named by check_in_summary.py where they are known)."""
    yes = [code for code, answer in r.red_flags.items() if answer]
    parts = [f"{len(yes)} urgent question{'s' if len(yes) != 1 else ''} answered yes"] if yes else []
    parts += [f"temperature {r.temperature_c:.1f} °C"] if r.temperature_c is not None else []
    parts.append(f"{len(r.symptoms)} symptom{'s' if len(r.symptoms) != 1 else ''}")
    parts += [f"unwell {r.unwell}/10 (10 = worst)"] if r.unwell is not None else []
    return "Check-in: " + ", ".join(parts)


def kind(slug: str) -> RecordKind:
    try:
        return RECORD_KINDS[slug]
    except KeyError:
        raise NotFound(f"No such kind of record: {slug}") from None


def who_may_write(record_kind: RecordKind) -> set[Role]:
    roles = {Role.CLINICIAN}
    if record_kind.patient_writes:
        roles.add(Role.PATIENT)
    return roles


def validate(model: type[M], data: Any, now: datetime | None = None) -> M:
    """Build a model from untrusted input, or raise InvalidInput naming each offending field."""
    try:
        return model.model_validate(data, context={"now": now} if now else None)
    except ValidationError as exc:
        raise InvalidInput("Some answers need correcting", errors=[problem_of(e) for e in exc.errors()]) from None


def problem_of(error: Any) -> dict[str, str]:
    """One Pydantic error as {field, message}, with cross-field rules naming their field."""
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, _FieldError):
        return {"field": cause.field, "message": str(cause)}
    field = ".".join(str(part) for part in error["loc"] if part != "body") or "body"
    message = str(cause) if isinstance(cause, ValueError) else _plain(error)
    return {"field": field, "message": message}


def _plain(error: Any) -> str:
    """Pydantic's messages, reworded where a person would be puzzled by them."""
    kind = error["type"]
    if kind == "missing":
        return "This is required"
    if kind == "enum":
        return "Choose one of: " + error["ctx"]["expected"].replace("'", "")
    if kind == "extra_forbidden":
        return "This field is not part of this record"
    if kind.startswith("date_") or kind == "date_type":
        return "Give a date as YYYY-MM-DD"
    return error["msg"].removeprefix("Value error, ")


# --- Dates against the person's life --------------------------------------------------------------

# Our choice, configurable per service (ALONGSIDE_EARLY_DATE_MARGIN_DAYS): a year before the first
# diagnosis holds the imaging, biopsies and baseline blood tests that lead up to a diagnosis. An
# entry dated earlier than that is more often a slip (1900 for 2020, a birth year typed as the
# test's) than history, and one wild date stretches every chart, so it must be confirmed.
EARLY_DATE_MARGIN = timedelta(days=365)
CONFIRM_EARLY_DATE = "confirm_early_date"


def dated_fields(model: BaseModel) -> list[tuple[str, date]]:
    """The clinical dates an entry holds: each date field, and the day of each date-and-time."""
    days = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, datetime):
            days.append((name, value.date()))
        elif isinstance(value, date):
            days.append((name, value))
    return days


@dataclass(frozen=True)
class LifeDates:
    """The dates of one person's record that every other date must fit: her birth and first diagnosis."""

    born: date | None
    first_diagnosed: date | None
    margin: timedelta = EARLY_DATE_MARGIN

    @classmethod
    def of(cls, details: PatientDetails | None, profile: CancerProfile | None,
           margin: timedelta = EARLY_DATE_MARGIN) -> LifeDates:
        # The secondary diagnosis cannot precede the first (CancerProfile), so the earlier one is
        # the first diagnosis; a record with only a secondary date starts there.
        diagnosed = [d for d in (profile.primary_diagnosis_date, profile.metastatic_diagnosis_date) if d] if profile else []
        return cls(details.date_of_birth if details else None, min(diagnosed, default=None), margin)

    def problems(self, model: BaseModel, only: Collection[str] | None = None) -> tuple[list[dict], list[dict]]:
        """(impossible, early): each date before birth (or before 1900 when no birth date is known),
        and each date more than `margin` before the first diagnosis, as {field, message}."""
        impossible, early = [], []
        for name, day in dated_fields(model):
            if only is not None and name not in only:
                continue
            if self.born and day < self.born:
                impossible.append({"field": name, "message": "This date is before the date of birth on this record "
                                   f"({long_date(self.born)}). Check the date, or correct the date of birth."})
            elif day < _EARLIEST:
                impossible.append({"field": name, "message": "This date is before 1900"})
            elif self.first_diagnosed and day < self.first_diagnosed - self.margin:
                early.append({"field": name, "message": f"This date is more than {_span(self.margin)} before the "
                              f"first diagnosis on this record ({long_date(self.first_diagnosed)}). "
                              "Check the date, and confirm it if it is right."})
        return impossible, early

    def check(self, model: BaseModel, confirmed: bool = False, only: Collection[str] | None = None) -> None:
        """Refuse a date before birth; refuse a date long before the first diagnosis unless confirmed.
        `only` limits the check to the fields an edit changed: the others were accepted when saved."""
        impossible, early = self.problems(model, only)
        if impossible:
            raise InvalidInput(impossible[0]["message"], errors=impossible)
        if early and not confirmed:
            raise NeedsConfirming(early[0]["message"], confirm_with=CONFIRM_EARLY_DATE, errors=early)

    def flag(self, model: BaseModel) -> str | None:
        """For an entry already stored: a plain warning when one of its dates does not fit."""
        impossible, early = self.problems(model)
        if impossible:
            return "Date before the date of birth on this record: check it"
        if early:
            return f"Dated more than {_span(self.margin)} before the first diagnosis: check it"
        return None


def _span(margin: timedelta) -> str:
    years, days = divmod(margin.days, 365)
    if days == 0 and years:
        return "a year" if years == 1 else f"{years} years"
    return f"{margin.days} days"
