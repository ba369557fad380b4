"""The check-in form: drawn from the instrument, read back into a submission.

Unanswered questions are left out of the submission, so a skipped item stays missing."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..clinical.red_flags import questions_for
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


def build(on_chemotherapy: bool, values: dict[str, str], errors: dict[str, str]) -> dict:
    questions = instrument()

    def choice(name: str, question: str, options: list[tuple[str, str]]) -> Choice:
        return Choice(name, question, options, values.get(name, ""), errors.get(_field(name)))

    flags = [choice(f"flag.{f.code}", f.question, [("yes", "Yes"), ("no", "No")]) for f in questions_for(on_chemotherapy)]
    symptoms = []
    for symptom in questions.symptoms:
        block = SymptomBlock(symptom.label)
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
            "errors": errors}


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

