"""Red flags: the emergencies of secondary breast cancer and its treatment, asked as plain
yes/no questions, each answer mapped to a triage level.

Levels follow the UKONS 24-hour triage tool (v3, 2020): red = contact the 24-hour line now (or
999), amber = contact the team today. Sources for each rule:
- possible neutropenic sepsis: NICE NG151 (2020) and UKONS triage tool (temperature 37.5 C or
  higher, or 36.0 C or lower, or feeling unwell, during systemic anti-cancer treatment);
- metastatic spinal cord compression: NICE NG234 (2023): new spinal pain is urgent (within 24
  hours); pain with neurological symptoms or bladder/bowel change is an emergency;
- hypercalcaemia: UKONS triage tool and NICE CKS; thirst, passing more urine, confusion;
- brain metastases: new severe headache, seizure, confusion, change in vision (UKONS; ESMO
  2021 brain metastases guideline);
- sudden breathlessness or chest pain: possible pulmonary embolism or cardiac cause (UKONS);
- bleeding, uncontrolled pain, uncontrolled vomiting: UKONS triage tool.
The question wording is ours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .contacts import Level

# UKONS triage tool v3: a temperature of 37.5 C or more, or 36.0 C or less, on SACT is red.
FEVER_AT_OR_ABOVE_C = 37.5
LOW_TEMPERATURE_AT_OR_BELOW_C = 36.0
# How long after the last dose of chemotherapy (or an antibody-drug conjugate) a fever is still
# treated as possible neutropenic sepsis: white cells may stay low for weeks, and the UKONS tool
# asks about treatment received, not only treatment running. Six weeks, a window many UK acute
# oncology services use; a team setting (see docs/clinical-rules.md).
FEVER_RULE_DAYS_AFTER_TREATMENT = 42
# Readings outside this range cannot be a body temperature in degrees Celsius.
PLAUSIBLE_TEMPERATURE_C = (30.0, 45.0)


@dataclass(frozen=True)
class RedFlag:
    code: str
    question: str  # asked of the patient, yes or no
    short: str  # what the team reads in the inbox
    level: Level
    concern: str  # what the team reads
    # Only asked, and only counts, while chemotherapy or another treatment that lowers
    # white cells is being given.
    on_chemotherapy_only: bool = False


RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag("feeling_unwell_on_chemo", "Do you feel suddenly unwell, shivery or hot and cold?", "feels suddenly unwell or shivery", Level.RED,
            "Possible neutropenic sepsis", on_chemotherapy_only=True),
    RedFlag("new_back_pain", "Do you have new pain in your back or neck, or pain there that is getting worse?", "new or worsening back or neck pain",
            Level.AMBER, "Possible spinal metastases"),
    RedFlag("limb_weakness", "Are your arms or legs weak, numb, or harder to walk on than usual?", "weak or numb arms or legs", Level.RED,
            "Possible spinal cord compression"),
    RedFlag("bladder_bowel_change", "Have you lost control of your bladder or bowels, or become unable to pass urine?", "loss of bladder or bowel control",
            Level.RED, "Possible spinal cord compression"),
    RedFlag("thirst_confusion", "Are you very thirsty, passing much more urine, or feeling muddled?", "very thirsty, passing more urine or muddled", Level.AMBER,
            "Possible hypercalcaemia"),
    RedFlag("severe_headache", "Do you have a new, severe headache, or one that wakes you or makes you sick?", "new severe headache",
            Level.AMBER, "Possible brain metastases"),
    RedFlag("seizure_or_confusion", "Have you had a fit, or suddenly become confused or hard to wake?", "fit, sudden confusion or hard to wake", Level.RED,
            "Possible brain metastases"),
    RedFlag("vision_change", "Has your eyesight changed suddenly (double, blurred or lost vision)?", "sudden change in eyesight", Level.AMBER,
            "Possible brain metastases"),
    RedFlag("breathless_or_chest_pain", "Are you suddenly short of breath, or do you have chest pain?", "sudden breathlessness or chest pain", Level.RED,
            "Possible pulmonary embolism or heart problem"),
    RedFlag("bleeding", "Are you bleeding and it will not stop, or coughing or vomiting blood?", "bleeding that will not stop", Level.RED,
            "Uncontrolled bleeding"),
    RedFlag("uncontrolled_pain", "Do you have pain that your usual painkillers are not controlling?", "pain not controlled by usual painkillers", Level.AMBER,
            "Uncontrolled pain"),
    RedFlag("uncontrolled_vomiting", "Have you been sick so often that you cannot keep fluids or tablets down?", "cannot keep fluids or tablets down",
            Level.RED, "Uncontrolled vomiting"),
)
BY_CODE = {flag.code: flag for flag in RED_FLAGS}
# Flags raised by the temperature rather than by a question, as the team reads them.
TEMPERATURE_FLAGS = {"temperature_on_chemo": "a high or low temperature during chemotherapy",
                     "fever": "a raised temperature"}


@dataclass(frozen=True)
class RaisedFlag:
    code: str
    level: Level
    concern: str
    value: str  # what was answered, for the alert


def questions_for(on_chemotherapy: bool) -> list[RedFlag]:
    """The chemotherapy-only questions are left out while no chemotherapy is given."""
    return [f for f in RED_FLAGS if on_chemotherapy or not f.on_chemotherapy_only]


def check_temperature(celsius: float) -> float:
    low, high = PLAUSIBLE_TEMPERATURE_C
    if not low <= celsius <= high:
        raise ValueError(f"{celsius:g} is not a body temperature in degrees Celsius (expected {low:g} to {high:g})")
    return celsius


def raised_flags(answers: dict[str, bool], temperature_c: float | None, on_chemotherapy: bool,
                 fever_at_or_above: float = FEVER_AT_OR_ABOVE_C,
                 low_at_or_below: float = LOW_TEMPERATURE_AT_OR_BELOW_C) -> list[RaisedFlag]:
    """Every red flag raised by a check-in's yes/no answers and temperature. A skipped question
    raises nothing (it is missing, not 'no'); a temperature is checked for plausibility first."""
    raised = [RaisedFlag(f.code, f.level, f.concern, "yes") for f in questions_for(on_chemotherapy)
              if answers.get(f.code) is True]
    if temperature_c is not None:
        raised.extend(_temperature_flags(check_temperature(temperature_c), on_chemotherapy, fever_at_or_above,
                                         low_at_or_below))
    return raised


def _temperature_flags(celsius: float, on_chemotherapy: bool, fever: float, low: float) -> Iterable[RaisedFlag]:
    reading = f"{celsius:.1f} C"
    if on_chemotherapy and (celsius >= fever or celsius <= low):
        yield RaisedFlag("temperature_on_chemo", Level.RED, "Possible neutropenic sepsis", reading)
    elif celsius >= fever:
        # Off chemotherapy a fever still needs the team today (infection, or a sign of the cancer).
        yield RaisedFlag("fever", Level.AMBER, "Fever", reading)


def highest_level(flags: Iterable[RaisedFlag]) -> Level | None:
    levels = {flag.level for flag in flags}
    for level in (Level.RED, Level.AMBER):
        if level in levels:
            return level
    return None
