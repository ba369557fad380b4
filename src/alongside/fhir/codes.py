"""The code tables: our vocabulary to SNOMED CT, LOINC, UCUM, HGNC and RxNorm, and back.

Data, not logic. Each table says where its codes come from. Where no standard code says what
our value says (HER2-low, a mixed response, a line of treatment), the concept carries only our
own coding and its words, never a near-miss code. Every exported concept also carries our own
coding (system OURS + vocabulary name), so a bundle we wrote reads back exactly; bundles from
other systems are read through the standard codes.
"""

from __future__ import annotations

from ..domain.vocab import (
    GenomicFinding, GenomicOrigin, Gene, Her2Status, Histology, Intent, Laterality, MetastasisSite, Modality,
    ReceptorStatus, ScanImpression, TumourMarker,
)

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
HGNC = "http://www.genenames.org/geneId"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

# Our own systems. ".invalid" because Alongside is self-hosted and has no registry of its own;
# the same base as the problem types in web/problems.py.
OURS = "https://alongside.invalid/fhir"
ENTRY_IDENTIFIER = f"{OURS}/entry-id"  # an entry's UUID; the resource id is the same UUID
PATIENT_IDENTIFIER = f"{OURS}/patient-id"
HOSPITAL_NUMBER = f"{OURS}/hospital-number"
LINE_OF_TREATMENT = f"{OURS}/StructureDefinition/line-of-treatment"
REVISIT_WHEN = f"{OURS}/StructureDefinition/revisit-when"
SUBMITTED_BY = f"{OURS}/StructureDefinition/check-in-submitted-by"
CHECK_IN_QUESTIONNAIRE = f"{OURS}/Questionnaire/weekly-check-in"
# A cycle of days on and days off, which FHIR Timing cannot say: on the dosage, day 1 of the first
# cycle and the days on and off (a MedicationStatement of ours, issue 18).
CYCLE_START = f"{OURS}/StructureDefinition/cycle-start-date"
CYCLE_DAYS_ON = f"{OURS}/StructureDefinition/cycle-days-on"
CYCLE_DAYS_OFF = f"{OURS}/StructureDefinition/cycle-days-off"
# FHIR needs a manifestation in every reaction; this stands for "severity known, reaction not
# described", and is read back as no reaction text.
NO_REACTION_TEXT = "Reaction not described"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
MEDICATION_ADMIN_CATEGORY = "http://terminology.hl7.org/CodeSystem/medication-admin-category"


# Read only: countries given by name in Address.country, to their ISO 3166-1 alpha-2 code; a name
# not here, and not a code, is not read (the record keeps its own).
COUNTRY_NAMES: dict[str, str] = {
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "ireland": "IE", "united states": "US", "united states of america": "US", "usa": "US",
    "canada": "CA", "australia": "AU", "new zealand": "NZ", "france": "FR", "germany": "DE", "spain": "ES",
    "italy": "IT", "netherlands": "NL",
}


def vocab_system(name: str) -> str:
    """Our code system for one vocabulary, e.g. .../CodeSystem/her2-status."""
    return f"{OURS}/CodeSystem/{name}"


# --- mCODE STU4 (4.0.0) profiles: http://hl7.org/fhir/us/mcode/ (checked against the IG's
# artifact list). CancerRelatedRadiationProcedure of STU1 became RadiotherapyCourseSummary.
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
PROFILE = {name: MCODE + "mcode-" + name for name in (
    "cancer-patient", "primary-cancer-condition", "secondary-cancer-condition", "tumor-marker-test",
    "cancer-disease-status", "ecog-performance-status", "genomic-variant", "cancer-related-medication-request",
    "radiotherapy-course-summary", "cancer-related-surgical-procedure",
)}
# mCODE extensions we write and read.
# Read only: mCODE STU1 and STU2's radiotherapy procedure, which STU3 replaced by the course summary.
RADIATION_PROCEDURE_STU1 = MCODE + "mcode-cancer-related-radiation-procedure"
PROCEDURE_INTENT = MCODE + "mcode-procedure-intent"
LATERALITY_QUALIFIER = MCODE + "mcode-laterality-qualifier"
EVIDENCE_TYPE = MCODE + "mcode-evidence-type"
HISTOLOGY_MORPHOLOGY = MCODE + "mcode-histology-morphology-behavior"

# --- LOINC codes (loinc.org; the same codes the mCODE IG uses for these profiles).
LOINC_ER = "16112-5"  # Estrogen receptor [Interpretation] in Tissue
LOINC_PR = "16113-3"  # Progesterone receptor [Interpretation] in Tissue
LOINC_HER2 = "48676-1"  # HER2 [Interpretation] in Tissue
LOINC_ECOG = "89247-1"  # ECOG Performance Status score
LOINC_DISEASE_STATUS = "97509-4"  # Cancer disease progression (mCODE CancerDiseaseStatus)
LOINC_VARIANT = "69548-6"  # Genetic variant assessment (mCODE GenomicVariant)
LOINC_GENE_STUDIED = "48018-6"  # Gene studied [ID]
LOINC_SOURCE_CLASS = "48002-0"  # Genomic source class [Type]
LOINC_AMINO_ACID_CHANGE = "48005-3"  # Amino acid change (pHGVS)
# Read only: where a variant is described, most telling first (Genomics Reporting IG components):
# amino acid change, the variant as a whole (ClinVar), DNA change (cHGVS), genomic change (gHGVS).
LOINC_VARIANT_DESCRIPTIONS = (LOINC_AMINO_ACID_CHANGE, "81252-9", "48004-6", "81290-9")
RECEPTOR_LOINC = {LOINC_ER: "er_status", LOINC_PR: "pr_status", LOINC_HER2: "her2_status"}
# Read only: the other codes of mCODE STU4's TumorMarkerTestVS (ValueSet-mcode-tumor-marker-test-vs
# in the hl7.fhir.us.mcode 4.0.0 package) that give a receptor as present or absent, and so as a
# status; Jenny M's examples use 85337-4, 85339-0 and 48676-1. The FISH code says whether ERBB2 is
# amplified: "present" is HER2-positive, "absent" leaves HER2-low open, as a bare "negative" does.
RECEPTOR_LOINC_READ = {
    **RECEPTOR_LOINC,
    "40556-3": "er_status",  # Estrogen receptor Ag [Presence] in Tissue by Immune stain
    "85337-4": "er_status",  # Estrogen receptor Ag [Presence] in Breast cancer specimen by Immune stain
    "40557-1": "pr_status",  # Progesterone receptor Ag [Presence] in Tissue by Immune stain
    "85339-0": "pr_status",  # Progesterone receptor Ag [Presence] in Breast cancer specimen by Immune stain
    "72383-3": "her2_status",  # HER2 [Presence] in Tissue by Immunoassay
    "85319-2": "her2_status",  # HER2 [Presence] in Breast cancer specimen by Immune stain
    "85318-4": "her2_status",  # ERBB2 gene duplication [Presence] in Breast cancer specimen by FISH
}
# The value set's receptor measurements (percentages, intensities, copy numbers, serum HER2):
# turning them into a status needs a cut-off, which is a clinical rule not made here; set aside.
RECEPTOR_MEASUREMENT_LOINC = frozenset({
    "14228-1", "85329-1", "14130-9", "85310-1", "14230-7", "85325-9", "10861-3", "31207-4", "85331-7",
    "32996-1", "42914-2", "51981-9", "72382-5", "31150-6", "49683-6", "74860-8", "74885-5", "96893-3",
})
# Vital signs (FHIR vital-signs profiles, LOINC): weight and height are read (clinical/body_measures.py
# holds their codes), the rest has no place in the record yet.
VITAL_SIGNS_LOINC = {"29463-7": "body weight", "8302-2": "body height", "39156-5": "body mass index",
                     "8867-4": "heart rate", "85354-9": "blood pressure", "9279-1": "respiratory rate",
                     "8310-5": "body temperature", "59408-5": "oxygen saturation"}
# TNM staging (SNOMED CT observable entities mCODE uses): which part of which stage each is.
TNM_SNOMED = {"399537006": ("clinical", "group"), "399504009": ("clinical", "T"), "399534004": ("clinical", "N"),
              "399387003": ("clinical", "M"), "399588009": ("pathological", "group"), "384625004": ("pathological", "T"),
              "371494008": ("pathological", "N"), "371497001": ("pathological", "M")}
RECEPTOR_TEXT = {LOINC_ER: "Oestrogen receptor (ER)", LOINC_PR: "Progesterone receptor (PR)", LOINC_HER2: "HER2"}

TUMOUR_MARKER_LOINC: dict[TumourMarker, tuple[str, str]] = {
    TumourMarker.CA15_3: ("6875-9", "Cancer Ag 15-3 [Units/volume] in Serum or Plasma"),
    TumourMarker.CA27_29: ("17842-6", "Cancer Ag 27-29 [Units/volume] in Serum or Plasma"),
    TumourMarker.CEA: ("2039-6", "Carcinoembryonic Ag [Mass/volume] in Serum or Plasma"),
}

# --- SNOMED CT (International edition) qualifier values, as in mCODE's value sets.
RECEPTOR_SNOMED: dict[ReceptorStatus, tuple[str, str]] = {
    ReceptorStatus.POSITIVE: ("10828004", "Positive"),
    ReceptorStatus.NEGATIVE: ("260385009", "Negative"),
}
# HER2: only "positive" has a SNOMED value that says what we mean. "Negative" does not say
# whether a tumour is HER2-low, -ultralow or 0, which decides trastuzumab deruxtecan; we write
# "negative" plus our own code, and read a bare "negative" as HER2-negative with the category
# not given (docs/fhir.md).
HER2_SNOMED: dict[Her2Status, tuple[str, str]] = {
    Her2Status.POSITIVE: ("10828004", "Positive"),
    Her2Status.LOW: ("260385009", "Negative"),
    Her2Status.ULTRALOW: ("260385009", "Negative"),
    Her2Status.ZERO: ("260385009", "Negative"),
    Her2Status.NEGATIVE: ("260385009", "Negative"),
}

# Primary cancer condition code by histology (SNOMED CT disorders); otherwise the general one.
BREAST_CANCER = ("254837009", "Malignant neoplasm of breast")
HISTOLOGY_SNOMED: dict[Histology, tuple[str, str]] = {
    Histology.DUCTAL_NST: ("408643008", "Infiltrating duct carcinoma of breast"),
    Histology.LOBULAR: ("278054005", "Infiltrating lobular carcinoma of breast"),
}
# Read only: histology as the mCODE histology-morphology-behavior extension gives it (SNOMED CT
# morphologic abnormalities), and a primary disorder code that carries the side in it.
HISTOLOGY_MORPHOLOGY_SNOMED: dict[str, Histology] = {
    "82711006": Histology.DUCTAL_NST,  # Infiltrating duct carcinoma (morphologic abnormality)
}
PRIMARY_DISORDER_LATERALITY: dict[str, Laterality] = {
    "353431000119107": Laterality.LEFT,  # Primary malignant neoplasm of female left breast (disorder)
}
BREAST_SITE = ("76752008", "Breast structure")
LATERALITY_SNOMED: dict[Laterality, tuple[str, str]] = {
    Laterality.LEFT: ("7771000", "Left"),
    Laterality.RIGHT: ("24028007", "Right"),
    Laterality.BILATERAL: ("51440002", "Right and left"),
}

# Secondary cancer: the disorder, and the site as a SNOMED CT body structure.
SECONDARY_CANCER = ("128462008", "Secondary malignant neoplastic disease")
METASTASIS_SITE_SNOMED: dict[MetastasisSite, tuple[str, str]] = {
    MetastasisSite.BONE: ("272673000", "Bone structure"),
    MetastasisSite.LIVER: ("10200004", "Liver structure"),
    MetastasisSite.LUNG: ("39607008", "Lung structure"),
    MetastasisSite.PLEURA: ("3120008", "Pleural membrane structure"),
    MetastasisSite.BRAIN: ("12738006", "Brain structure"),
    MetastasisSite.DISTANT_LYMPH_NODES: ("59441001", "Structure of lymph node"),
    MetastasisSite.SKIN: ("39937001", "Skin structure"),
    MetastasisSite.PERITONEUM: ("15425007", "Peritoneum structure"),
    # Leptomeninges: no code chosen yet; sent as text and our code.
}
BIOPSY = ("86273004", "Biopsy")
# Read only: other systems often code the site into the disorder itself (SNOMED CT disorders).
SECONDARY_DISORDER_SNOMED: dict[str, MetastasisSite] = {
    "94222008": MetastasisSite.BONE,  # Secondary malignant neoplasm of bone
    "94381002": MetastasisSite.LIVER,  # Secondary malignant neoplasm of liver
    "94391008": MetastasisSite.LUNG,  # Secondary malignant neoplasm of lung
    "94225005": MetastasisSite.BRAIN,  # Secondary malignant neoplasm of brain
}

# Receptor results as LOINC answers (LOINC answer list LL2009-4), as many laboratories send them.
RECEPTOR_LOINC_ANSWERS: dict[str, ReceptorStatus] = {"LA6576-8": ReceptorStatus.POSITIVE, "LA6577-6": ReceptorStatus.NEGATIVE}
# ECOG as LOINC answers (LOINC answer list LL529-9), read as the score they stand for.
ECOG_LOINC_ANSWERS: dict[str, int] = {"LA9622-7": 0, "LA9623-5": 1, "LA9624-3": 2, "LA9625-0": 3, "LA9626-8": 4}

# Treatment intent (mCODE procedure-intent extension, SNOMED CT procedure intents).
INTENT_SNOMED: dict[Intent, tuple[str, str]] = {
    Intent.CURATIVE: ("373808002", "Curative - procedure intent"),
    Intent.DISEASE_CONTROL: ("363676003", "Palliative - procedure intent"),
    Intent.SYMPTOM_CONTROL: ("363676003", "Palliative - procedure intent"),
    Intent.SUPPORTIVE: ("399707004", "Supportive - procedure intent"),
}
MODALITY_SNOMED: dict[Modality, tuple[str, str]] = {
    Modality.CHEMOTHERAPY: ("367336001", "Chemotherapy"),
    Modality.ENDOCRINE: ("169413002", "Hormone therapy"),
    Modality.IMMUNOTHERAPY: ("76334006", "Immunotherapy"),
}
RADIOTHERAPY_COURSE = ("1217123003", "Radiotherapy course of treatment")
PROCEDURE_MODALITIES = {Modality.RADIOTHERAPY, Modality.SURGERY}

# Drugs by RxNorm ingredient (RXCUI). A course is coded only when its name is one of these
# drugs alone; a combination ("letrozole and ribociclib") is sent as text. To be re-checked
# against RxNav before each release (docs/fhir.md).
DRUG_RXNORM: dict[str, str] = {
    "letrozole": "72965",
    "anastrozole": "84857",
    "exemestane": "258494",
    "tamoxifen": "10324",
    "fulvestrant": "282357",
    "palbociclib": "1601374",
    "ribociclib": "1873916",
    "abemaciclib": "1946825",
    "trastuzumab": "224905",
    "capecitabine": "194000",
    "paclitaxel": "56946",
    "zoledronic acid": "77655",
    "denosumab": "993449",
}

# Read only: the kind of treatment a drug is, when a bundle from elsewhere does not say.
DRUG_MODALITY: dict[str, Modality] = {
    **dict.fromkeys(("letrozole", "anastrozole", "exemestane", "tamoxifen", "fulvestrant"), Modality.ENDOCRINE),
    **dict.fromkeys(("palbociclib", "ribociclib", "abemaciclib", "trastuzumab"), Modality.TARGETED),
    **dict.fromkeys(("capecitabine", "paclitaxel", "docetaxel", "doxorubicin", "epirubicin", "cyclophosphamide",
                     "eribulin", "carboplatin", "vinorelbine"), Modality.CHEMOTHERAPY),
    **dict.fromkeys(("zoledronic acid", "denosumab"), Modality.BONE_STRENGTHENING),
}
SURGICAL_PROCEDURE = ("387713003", "Surgical procedure")

# Disease status (mCODE ConditionStatusTrendVS, SNOMED CT). "Mixed" has no code of its own.
IMPRESSION_SNOMED: dict[ScanImpression, tuple[str, str]] = {
    ScanImpression.RESPONDING: ("268910001", "Patient's condition improved"),
    ScanImpression.STABLE: ("359746009", "Patient's condition stable"),
    ScanImpression.PROGRESSING: ("271299001", "Patient's condition worsened"),
    ScanImpression.NOT_EVALUABLE: ("709137006", "Patient condition undetermined"),
}
IMAGING_EVIDENCE = ("363679005", "Imaging")

# Genomics: HGNC gene ids (genenames.org) and LOINC answers for presence and source class.
GENE_HGNC: dict[Gene, str] = {
    Gene.BRCA1: "HGNC:1100", Gene.BRCA2: "HGNC:1101", Gene.PALB2: "HGNC:26144", Gene.PIK3CA: "HGNC:8975",
    Gene.ESR1: "HGNC:3467", Gene.AKT1: "HGNC:391", Gene.PTEN: "HGNC:9588", Gene.ERBB2: "HGNC:3430",
}
FINDING_LOINC: dict[GenomicFinding, tuple[str, str]] = {
    GenomicFinding.DETECTED: ("LA9633-4", "Present"),
    GenomicFinding.NOT_DETECTED: ("LA9634-2", "Absent"),
}
ORIGIN_LOINC: dict[GenomicOrigin, tuple[str, str]] = {
    GenomicOrigin.GERMLINE: ("LA6683-2", "Germline"),
    GenomicOrigin.SOMATIC: ("LA6684-0", "Somatic"),
}

# UCUM units we accept in results (https://ucum.org; the units of our labs' reports). A unit
# outside this list is refused on import: a wrong unit on a blood count is worse than none.
UCUM_UNITS: frozenset[str] = frozenset({
    "10*9/L", "10*12/L", "g/L", "g/dL", "mg/dL", "mg/L", "ug/L", "ng/mL", "ng/L", "pg/mL", "mmol/L", "umol/L",
    "nmol/L", "pmol/L", "U/L", "U/mL", "kU/L", "[IU]/L", "m[IU]/L", "%", "fL", "pg", "mL/min", "mL/min/{1.73_m2}",
    "s", "{ratio}", "1", "10*3/uL", "/uL", "meq/L", "ukat/L", "kg", "cm",
})


def reverse(table: dict) -> dict[str, object]:
    """code -> our value, for a table of value -> (code, display) or value -> code.
    Where several of our values share one code (HER2 negative), the code is left out: it does
    not tell them apart."""
    seen: dict[str, list] = {}
    for value, code in table.items():
        seen.setdefault(code[0] if isinstance(code, tuple) else code, []).append(value)
    return {code: values[0] for code, values in seen.items() if len(values) == 1}
