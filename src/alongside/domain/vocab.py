"""The clinic's vocabulary: every coded choice in the record, with the words people read.

Values are stable machine codes (stored and exchanged); labels are what the pages show.
"""

from __future__ import annotations

from enum import StrEnum


class Vocab(StrEnum):
    """A coded choice whose label is the second element of its definition."""

    def __new__(cls, value: str, label: str | None = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value.replace("_", " ").capitalize()
        return member


class TextSize(Vocab):
    """How large a person wants the words on every page (issue 16 item 6), kept with their account."""
    NORMAL = "normal", "Normal"
    LARGE = "large", "Large"
    LARGEST = "largest", "Largest"


class Role(Vocab):
    PATIENT = "patient", "Patient"
    CARER = "carer", "Carer or family member"
    CLINICIAN = "clinician", "Clinician"
    ADMIN = "admin", "Administrator"


class CheckInDay(Vocab):
    """A team's usual day for the weekly check-in; its position is Python's weekday (0 Monday)."""

    MONDAY = "monday", "Monday"
    TUESDAY = "tuesday", "Tuesday"
    WEDNESDAY = "wednesday", "Wednesday"
    THURSDAY = "thursday", "Thursday"
    FRIDAY = "friday", "Friday"
    SATURDAY = "saturday", "Saturday"
    SUNDAY = "sunday", "Sunday"

    @property
    def weekday(self) -> int:
        return list(CheckInDay).index(self)


class CarerAccess(Vocab):
    READ = "read", "Can read the record"
    READ_CHECK_IN = "read_check_in", "Can read the record and do check-ins"


class Sex(Vocab):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not recorded"


class ReceptorStatus(Vocab):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"
    UNKNOWN = "unknown", "Not known"


class Her2Status(Vocab):
    """HER2 categories in current use (ASCO/CAP 2023 update; ESMO 2023 consensus on HER2-low)."""

    POSITIVE = "positive", "HER2-positive (IHC 3+, or IHC 2+ with amplification)"
    LOW = "low", "HER2-low (IHC 1+, or IHC 2+ without amplification)"
    ULTRALOW = "ultralow", "HER2-ultralow (IHC 0 with faint staining in 10% of cells or fewer)"
    ZERO = "zero", "HER2 0 (no staining)"
    # A report that says only "negative": not positive, but not whether 0, ultralow or low,
    # which decides some treatments and trials (trastuzumab deruxtecan).
    NEGATIVE = "negative", "HER2-negative (not said whether 0, ultralow or low)"
    UNKNOWN = "unknown", "Not known"


class Histology(Vocab):
    DUCTAL_NST = "ductal_nst", "Invasive carcinoma of no special type (ductal)"
    LOBULAR = "lobular", "Invasive lobular carcinoma"
    MIXED = "mixed", "Mixed ductal and lobular"
    OTHER = "other", "Other type"
    UNKNOWN = "unknown", "Not known"


class Laterality(Vocab):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Both sides"
    UNKNOWN = "unknown", "Not known"


class MenopausalStatus(Vocab):
    PRE = "pre", "Premenopausal"
    PERI = "peri", "Perimenopausal"
    POST = "post", "Postmenopausal"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    UNKNOWN = "unknown", "Not known"


class MetastasisSite(Vocab):
    BONE = "bone", "Bone"
    LIVER = "liver", "Liver"
    LUNG = "lung", "Lung"
    PLEURA = "pleura", "Pleura (lining of the lung)"
    BRAIN = "brain", "Brain"
    LEPTOMENINGES = "leptomeninges", "Leptomeninges (lining of the brain and spinal cord)"
    DISTANT_LYMPH_NODES = "distant_lymph_nodes", "Distant lymph nodes"
    SKIN = "skin", "Skin or chest wall"
    PERITONEUM = "peritoneum", "Peritoneum (lining of the abdomen)"
    OTHER = "other", "Other site"


class Gene(Vocab):
    BRCA1 = "BRCA1", "BRCA1"
    BRCA2 = "BRCA2", "BRCA2"
    PALB2 = "PALB2", "PALB2"
    PIK3CA = "PIK3CA", "PIK3CA"
    ESR1 = "ESR1", "ESR1"
    AKT1 = "AKT1", "AKT1"
    PTEN = "PTEN", "PTEN"
    ERBB2 = "ERBB2", "ERBB2 (HER2) mutation"
    PD_L1 = "PD-L1", "PD-L1 expression"
    MSI = "MSI", "Microsatellite instability / mismatch repair"
    NTRK = "NTRK", "NTRK fusion"
    OTHER = "other", "Other"


class GenomicOrigin(Vocab):
    GERMLINE = "germline", "Germline (inherited, from a blood or saliva test)"
    SOMATIC = "somatic", "Somatic (in the cancer, from tissue or blood)"


class GenomicFinding(Vocab):
    DETECTED = "detected", "Change found (pathogenic or likely pathogenic)"
    NOT_DETECTED = "not_detected", "No change found"
    VUS = "vus", "Variant of uncertain significance"
    POSITIVE = "positive", "Positive (expression above the test's cut-off)"
    NEGATIVE = "negative", "Negative (expression below the test's cut-off)"
    FAILED = "failed", "Test failed or not assessable"


class Modality(Vocab):
    CHEMOTHERAPY = "chemotherapy", "Chemotherapy"
    ENDOCRINE = "endocrine", "Hormone (endocrine) therapy"
    TARGETED = "targeted", "Targeted therapy"
    IMMUNOTHERAPY = "immunotherapy", "Immunotherapy"
    ANTIBODY_DRUG_CONJUGATE = "antibody_drug_conjugate", "Antibody-drug conjugate"
    RADIOTHERAPY = "radiotherapy", "Radiotherapy"
    SURGERY = "surgery", "Surgery"
    BONE_STRENGTHENING = "bone_strengthening", "Bone-strengthening treatment"
    OTHER = "other", "Other"


class Intent(Vocab):
    CURATIVE = "curative", "Curative (early breast cancer)"
    DISEASE_CONTROL = "disease_control", "To control the cancer"
    SYMPTOM_CONTROL = "symptom_control", "To relieve symptoms"
    SUPPORTIVE = "supportive", "Supportive"


class StopReason(Vocab):
    COMPLETED = "completed", "Course completed"
    PROGRESSION = "progression", "Cancer grew or spread"
    SIDE_EFFECTS = "side_effects", "Side effects"
    PATIENT_CHOICE = "patient_choice", "The person's choice"
    SUPPORTIVE_CARE_ONLY = "supportive_care_only", "Decision to stop anticancer treatment"
    OTHER = "other", "Other reason"


class BreakReason(Vocab):
    SIDE_EFFECTS = "side_effects", "Side effects"
    RECOVERY = "recovery", "Recovery (for example after an infection or surgery)"
    SPECIAL_OCCASION = "special_occasion", "Special occasion or holiday"
    PATIENT_CHOICE = "patient_choice", "The person's choice"
    OTHER = "other", "Other reason"


class TeamRole(Vocab):
    ONCOLOGIST = "oncologist", "Oncologist"
    BREAST_CARE_NURSE = "breast_care_nurse", "Breast care nurse"
    SECONDARY_NURSE_SPECIALIST = "secondary_nurse_specialist", "Secondary breast cancer nurse specialist"
    GP = "gp", "GP"
    PALLIATIVE_TEAM = "palliative_team", "Palliative care team"
    ACUTE_ONCOLOGY = "acute_oncology", "Acute oncology service"
    OTHER = "other", "Other"


class ContactPurpose(Vocab):
    ROUTINE = "routine", "Routine questions"
    URGENT = "urgent", "Urgent concerns"
    BOTH = "both", "Routine and urgent"


class AppointmentKind(Vocab):
    ONCOLOGY_CLINIC = "oncology_clinic", "Oncology clinic"
    NURSE_CLINIC = "nurse_clinic", "Nurse clinic or call"
    TREATMENT = "treatment", "Treatment"
    BLOOD_TEST = "blood_test", "Blood test"
    SCAN = "scan", "Scan"
    PALLIATIVE = "palliative", "Palliative or supportive care"
    OTHER = "other", "Other"


class GoalKind(Vocab):
    AIM_OF_TREATMENT = "aim_of_treatment", "What I hope treatment will do"
    WHAT_MATTERS = "what_matters", "What matters most to me"
    PLACE_OF_CARE = "place_of_care", "Where I would prefer to be cared for"
    WHO_MAY_BE_TOLD = "who_may_be_told", "Who may be told what"
    OTHER = "other", "Other wish or preference"


class ReferralService(Vocab):
    PALLIATIVE_CARE = "palliative_care", "Palliative care team"
    HOSPICE = "hospice", "Hospice"
    PSYCHOLOGY = "psychology", "Psychology or counselling"
    PHYSIOTHERAPY = "physiotherapy", "Physiotherapy"
    OCCUPATIONAL_THERAPY = "occupational_therapy", "Occupational therapy"
    SOCIAL_WORK = "social_work", "Social work"
    COMPLEMENTARY = "complementary", "Complementary therapy"
    DIETITIAN = "dietitian", "Dietitian"
    LYMPHOEDEMA = "lymphoedema", "Lymphoedema service"
    OTHER = "other", "Other service"


class ReferralStatus(Vocab):
    SUGGESTED = "suggested", "Suggested"
    MADE = "made", "Referral made"
    ACCEPTED = "accepted", "Accepted"
    SEEN = "seen", "Seen"
    DECLINED = "declined", "Declined"
    CLOSED = "closed", "Closed"


class AccessRoute(Vocab):
    CLINICAL_TRIAL = "clinical_trial", "Clinical trial"
    EARLY_ACCESS = "early_access", "Early access scheme"
    CANCER_DRUGS_FUND = "cancer_drugs_fund", "Cancer Drugs Fund"
    INDIVIDUAL_FUNDING_REQUEST = "individual_funding_request", "Individual funding request"
    COMPANY_SCHEME = "company_scheme", "Company access scheme"
    PRIVATE = "private", "Private treatment"


class AccessStatus(Vocab):
    CONSIDERING = "considering", "Being considered"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    STARTED = "started", "Treatment started"


class TumourMarker(Vocab):
    CA15_3 = "ca15_3", "CA 15-3"
    CA27_29 = "ca27_29", "CA 27.29"
    CEA = "cea", "CEA"


class BodyMeasure(Vocab):
    WEIGHT = "weight", "Weight"
    HEIGHT = "height", "Height"


class ScanModality(Vocab):
    CT = "ct", "CT scan"
    MRI = "mri", "MRI scan"
    PET_CT = "pet_ct", "PET-CT scan"
    BONE_SCAN = "bone_scan", "Bone scan"
    XRAY = "xray", "X-ray"
    ULTRASOUND = "ultrasound", "Ultrasound"
    OTHER = "other", "Other"


class ScanImpression(Vocab):
    RESPONDING = "responding", "Responding (shrinking)"
    STABLE = "stable", "Stable"
    PROGRESSING = "progressing", "Progressing (growing or spreading)"
    MIXED = "mixed", "Mixed response"
    NOT_EVALUABLE = "not_evaluable", "Not evaluable"


class NonTargetResponse(Vocab):
    """RECIST 1.1 non-target disease at a follow-up scan."""
    CR = "CR", "Gone (complete response)"
    NON_CR_NON_PD = "non-CR/non-PD", "Still there, not clearly growing"
    PD = "PD", "Clearly growing (progression)"
    NE = "NE", "Not assessed"
    NONE = "none", "No non-target disease"


class NewLesions(Vocab):
    NO = "no", "No"
    YES = "yes", "Yes"
    EQUIVOCAL = "equivocal", "Unsure (equivocal)"


class CheckInBy(Vocab):
    PATIENT = "patient", "The patient"
    CARER = "carer", "A carer on the patient's behalf"
    CLINICIAN = "clinician", "A clinician, with the patient"


class CareDocumentKind(Vocab):
    ADVANCE_CARE_PLAN = "advance_care_plan", "Advance care plan"
    ADVANCE_DECISION = "advance_decision", "Advance decision to refuse treatment"
    RESPECT_FORM = "respect_form", "ReSPECT form or DNACPR decision"
    LASTING_POWER_OF_ATTORNEY = "lasting_power_of_attorney", "Lasting power of attorney (health and welfare)"
    OTHER = "other", "Other document"


class QuestionKind(Vocab):
    QUESTION = "question", "A question to ask"
    TOPIC = "topic", "Something I want to talk about"


class AlertOutcome(Vocab):
    """What the team did about an alert, chosen when it is resolved (required for red and amber)."""

    CALLED_BACK = "called_back", "Called back"
    SELF_CARE = "advised_self_care", "Advised self-care"
    SEEN_IN_CLINIC = "seen_in_clinic", "Seen in clinic"
    ACUTE_ONCOLOGY = "sent_to_acute_oncology", "Sent to acute oncology"
    ADMITTED = "admitted", "Admitted to hospital"
    NO_ACTION = "no_action_needed", "No action needed"


class MessageCategory(Vocab):
    """What a message to the team is about; each has a response-time target (content/messages.yaml)."""

    QUESTION = "question", "A question"
    SIDE_EFFECT = "side_effect", "A side effect"
    APPOINTMENT_CHANGE = "appointment_change", "Changing an appointment"
    REPEAT_PRESCRIPTION = "repeat_prescription", "A repeat prescription"
    OTHER = "other", "Something else"


class ThreadState(Vocab):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class AppointmentChange(Vocab):
    MOVE = "move", "Move it to another time"
    CANCEL = "cancel", "Cancel it"


class ChangeRequestState(Vocab):
    ASKED = "asked", "Waiting for the team"
    CONFIRMED = "confirmed", "Confirmed by the team"
    DECLINED = "declined", "Declined by the team"


class ResultRelease(Vocab):
    """When a patient sees a new result of one kind (domain/result_sharing.py)."""

    AT_ONCE = "at_once", "As soon as it is in my record"
    AFTER_DISCUSSION = "after_discussion", "Only after my team has talked it through with me"
    AFTER_DAYS = "after_days", "After a number of days"
    DISCUSSION_OR_DAYS = "discussion_or_days", ("After my team has talked it through with me, or after a number "
                                                "of days, whichever comes first")

    @property
    def waits_for_discussion(self) -> bool:
        return self in (ResultRelease.AFTER_DISCUSSION, ResultRelease.DISCUSSION_OR_DAYS)

    @property
    def waits_days(self) -> bool:
        return self in (ResultRelease.AFTER_DAYS, ResultRelease.DISCUSSION_OR_DAYS)


# --- Medicines and allergies -------------------------------------------------------------------

class CodeSystem(Vocab):
    """Where a medicine's or substance's code comes from (the FHIR system URIs)."""

    DMD = "https://dmd.nhs.uk", "dm+d (NHS Dictionary of Medicines and Devices)"
    RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm", "RxNorm"
    SNOMED = "http://snomed.info/sct", "SNOMED CT"


class MedicinePurpose(Vocab):
    ANTICANCER = "anticancer", "Anticancer treatment"
    SUPPORTIVE = "supportive", "Supportive (for symptoms, side effects or bones)"


class MedicineRoute(Vocab):
    ORAL = "oral", "By mouth"
    SUBCUTANEOUS = "subcutaneous", "Injection under the skin"
    INTRAMUSCULAR = "intramuscular", "Injection into a muscle"
    INTRAVENOUS = "intravenous", "Into a vein (drip)"
    TRANSDERMAL = "transdermal", "Skin patch"
    TOPICAL = "topical", "On the skin (cream or gel)"
    INHALED = "inhaled", "Breathed in (inhaler)"
    OTHER = "other", "Other"


class DoseSchedule(Vocab):
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Once a week"
    EVERY_N_DAYS = "every_n_days", "Every so many days"
    CYCLE = "cycle", "In cycles: days on, then days off"
    AS_NEEDED = "as_needed", "When needed"


class AllergyKind(Vocab):
    ALLERGY = "allergy", "Allergy"
    INTOLERANCE = "intolerance", "Intolerance (not an allergy)"


class AllergyCategory(Vocab):
    MEDICATION = "medication", "Medicine"
    FOOD = "food", "Food"
    ENVIRONMENT = "environment", "Something else (latex, plasters, pollen...)"
    BIOLOGIC = "biologic", "Blood product or vaccine"


class ReactionSeverity(Vocab):
    """FHIR AllergyIntolerance.reaction.severity."""

    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AllergyCriticality(Vocab):
    """FHIR AllergyIntolerance.criticality: the risk of a future reaction being life-threatening."""

    LOW = "low", "Low risk"
    HIGH = "high", "High risk (could be life-threatening)"
    UNABLE_TO_ASSESS = "unable-to-assess", "Not yet assessed"


class AllergyStatus(Vocab):
    """FHIR AllergyIntolerance.clinicalStatus."""

    ACTIVE = "active", "Current"
    INACTIVE = "inactive", "No longer a concern"
    RESOLVED = "resolved", "Resolved"
