"""The check-in form: drawn from the instrument, read back into a submission.

Unanswered questions are left out of the submission, so a skipped item stays missing."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..clinical.red_flags import questions_for
from ..domain.check_in_items import SymptomsAsked, every_symptom
from ..domain.instrument import instrument

ATTRIBUTES = ("frequency", "severity", "interference")


@dataclass
class Choice:
    name: str
    question: str
    options: list[tuple[str, str]]
    value: str = ""
    error: str | None = None


@dataclass
class SymptomBlock:
    label: str
    questions: list[Choice] = field(default_factory=list)
    code: str = ""
    follow_ups: bool = True  # its other parts are asked (always on the one-page form)


def build(on_chemotherapy: bool, values: dict[str, str], errors: dict[str, str],
          asked: SymptomsAsked | None = None) -> dict:
    """The whole check-in: the urgent questions and temperature always, the symptoms `asked`
    (every one when not given: the treatment is not known), the 0-10 items and the note."""
    questions = instrument()
    asked = asked or every_symptom()

    def choice(name: str, question: str, options: list[tuple[str, str]]) -> Choice:
        return Choice(name, question, options, values.get(name, ""), errors.get(_field(name)))

    flags = [choice(f"flag.{f.code}", f.question, [("yes", "Yes"), ("no", "No")]) for f in questions_for(on_chemotherapy)]
    symptoms = []
    for symptom in questions.symptoms:
        if symptom.code not in asked:
            continue
        block = SymptomBlock(symptom.label, code=symptom.code)
        for attribute, question in symptom.attributes.items():
            labels = questions.scales[attribute]
            block.questions.append(choice(f"symptom.{symptom.code}.{attribute}", question,
                                          [(str(i), label) for i, label in enumerate(labels)]))
        symptoms.append(block)
    burden = [choice(f"burden.{item.code}", item.label, [(str(i), str(i)) for i in range(11)])
              for item in questions.burden.items]
    return {"recall": questions.recall, "flags": flags, "symptoms": symptoms, "burden": burden,
            "burden_intro": questions.burden.intro, "temperature": values.get("temperature_c", ""),
            "free_text": values.get("free_text", ""), "temperature_error": errors.get("temperature_c"),
            "errors": errors, "chosen_for_treatment": asked.treatment_known}


def _field(form_name: str) -> str:
    """The domain's field name for a form control (symptom.pain.frequency -> symptoms.pain.frequency)."""
    kind, _, rest = form_name.partition(".")
    return {"flag": "red_flags", "symptom": "symptoms", "burden": "burden"}[kind] + "." + rest


def parse(form: dict[str, str]) -> dict:
    data: dict = {"symptoms": {}, "burden": {}, "red_flags": {}}
    for name, value in form.items():
        if not value:
            continue
        if name.startswith("flag."):
            data["red_flags"][name[5:]] = value == "yes"
        elif name.startswith("symptom."):
            _, code, attribute = name.split(".", 2)
            data["symptoms"].setdefault(code, {})[attribute] = _number(value)
        elif name.startswith("burden."):
            data["burden"][name[7:]] = _number(value)
    if temperature := form.get("temperature_c", "").strip().replace(",", "."):
        data["temperature_c"] = _number(temperature)
    if text := form.get("free_text", "").strip():
        data["free_text"] = text
    return data


def values_of(answers: dict) -> dict[str, str]:
    """A saved draft's answers as the form's controls hold them: `parse` the other way round."""
    values = {f"flag.{code}": "yes" if answer else "no" for code, answer in answers.get("red_flags", {}).items()}
    for code, answer in answers.get("symptoms", {}).items():
        values |= {f"symptom.{code}.{attribute}": str(score) for attribute, score in answer.items() if score is not None}
    values |= {f"burden.{code}": str(score) for code, score in answers.get("burden", {}).items()}
    if answers.get("temperature_c") is not None:
        values["temperature_c"] = f"{answers['temperature_c']:g}"
    if answers.get("free_text"):
        values["free_text"] = answers["free_text"]
    return values


def _number(text: str):
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text  # the model names the field in its error



# --- One section a screen ------------------------------------------------------------------------
#
# The check-in as steps: the urgent questions first, the symptoms a few at a time, how she feels
# right now, then anything else and send. Each step posts only its own answers; the page keeps
# them in her draft and shows the next step. A symptom asks its first part (how often, else how
# bad) first, and its other parts only once the first is above "never"/"none" (PRO-CTCAE's
# conditional branching); a symptom answered "none" has its other parts left not asked.

SYMPTOMS_A_SCREEN = 6


@dataclass
class Step:
    number: int
    kind: str  # urgent, symptoms, burden or send
    title: str
    symptoms: tuple[str, ...] = ()  # the symptom codes on a symptoms step


def steps(asked: SymptomsAsked | None = None) -> list[Step]:
    """The steps, with only the symptoms asked: "Step N of M" counts what she will see."""
    codes = list((asked or every_symptom()).codes)
    groups = [tuple(codes[i:i + SYMPTOMS_A_SCREEN]) for i in range(0, len(codes), SYMPTOMS_A_SCREEN)]
    found = [Step(0, "urgent", "First, anything urgent?")]
    found += [Step(0, "symptoms", "How your body has been", group) for group in groups]
    found += [Step(0, "burden", "How things are right now"), Step(0, "send", "Anything else, and send")]
    for number, step in enumerate(found, 1):
        step.number = number
    return found


def step_at(number: int, asked: SymptomsAsked | None = None) -> Step:
    every = steps(asked)
    return every[min(max(number, 1), len(every)) - 1]


def first_part(code: str) -> str:
    return next(iter(instrument().symptom(code).attributes))


def follow_ups_due(code: str, values: dict[str, str]) -> bool:
    """Her other parts of this symptom are asked: the first part is answered and above none."""
    first = values.get(f"symptom.{code}.{first_part(code)}", "")
    return first not in ("", "0")


def step_fields(step: Step, on_chemotherapy: bool) -> list[str]:
    """The form controls a step owns (those it may set or clear)."""
    if step.kind == "urgent":
        return [f"flag.{f.code}" for f in questions_for(on_chemotherapy)] + ["temperature_c"]
    if step.kind == "symptoms":
        return [f"symptom.{code}.{a}" for code in step.symptoms for a in instrument().symptom(code).attributes]
    if step.kind == "burden":
        return [f"burden.{item.code}" for item in instrument().burden.items]
    return ["free_text"]


def merge_step(step: Step, on_chemotherapy: bool, earlier: dict[str, str], form: dict[str, str],
               none_of_these: bool = False) -> dict[str, str]:
    """The draft's answers with this step's answers put in.

    "None of these" answers "no" (or "never"/"none") only to what she left unanswered: a "yes"
    (or a symptom) she chose on the same screen is never turned into "no". A symptom whose first
    part is "none" has its other parts removed: they are not asked."""
    owned = step_fields(step, on_chemotherapy)
    merged = {name: value for name, value in earlier.items() if name not in owned}
    merged |= {name: form[name] for name in owned if form.get(name, "").strip()}
    if none_of_these and step.kind == "urgent":
        merged |= {name: "no" for name in owned if name.startswith("flag.") and name not in merged}
    if none_of_these and step.kind == "symptoms":
        merged |= {f"symptom.{code}.{first_part(code)}": "0" for code in step.symptoms
                   if f"symptom.{code}.{first_part(code)}" not in merged}
    for code in step.symptoms:
        if not follow_ups_due(code, merged):
            for attribute in list(instrument().symptom(code).attributes)[1:]:
                merged.pop(f"symptom.{code}.{attribute}", None)
    return merged


def follow_ups_to_show(step: Step, merged: dict[str, str], shown: set[str]) -> bool:
    """True when a symptom on this step now needs its other parts and the screen did not show them."""
    return any(follow_ups_due(code, merged) and code not in shown for code in step.symptoms)


def build_step(step: Step, on_chemotherapy: bool, values: dict[str, str], errors: dict[str, str],
               asked: SymptomsAsked | None = None) -> dict:
    form = build(on_chemotherapy, values, errors, asked)
    blocks = []
    for block in form["symptoms"]:
        if block.code in step.symptoms:
            block.follow_ups = follow_ups_due(block.code, values)
            blocks.append(block)
    form["symptoms"] = blocks
    form["step"] = step
    form["total"] = len(steps(asked))
    form["review"] = review(on_chemotherapy, values, asked) if step.kind == "send" else None
    return form


@dataclass
class Review:
    urgent: list[str]
    urgent_unanswered: int
    symptoms: list[str]
    symptoms_unanswered: int
    right_now: int


def review(on_chemotherapy: bool, values: dict[str, str], asked: SymptomsAsked | None = None) -> Review:
    """What she has answered, in short, to read before sending: the same symptoms as the steps
    asked (a symptom answered in a draft before the treatment changed is still listed and sent)."""
    flags = questions_for(on_chemotherapy)
    questions = instrument()
    asked = asked or every_symptom()
    return Review(
        urgent=[f.short for f in flags if values.get(f"flag.{f.code}") == "yes"],
        urgent_unanswered=sum(1 for f in flags if f"flag.{f.code}" not in values),
        symptoms=[s.label for s in questions.symptoms if follow_ups_due(s.code, values)],
        symptoms_unanswered=sum(1 for s in questions.symptoms
                                if s.code in asked and f"symptom.{s.code}.{first_part(s.code)}" not in values),
        right_now=sum(1 for item in questions.burden.items if f"burden.{item.code}" in values))
