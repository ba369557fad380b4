"""Everyone included (issue 16 item 6): the words people read in Alongside.

Patient pages speak to the patient as "you", team pages of the patient by name or as "the patient";
nothing assumes a woman, because men get breast cancer too. And the spelling is British (anaemia,
oedema, tumour), as the NHS teams and patients who read it write it.

The scan reads what a person can see: template text and the strings inside template expressions
(not Jinja or HTML comments, not class names or links), every string in content/ (not YAML
comments), and the string literals in the Python that builds pages, messages, emails and PDFs (not
docstrings or comments). A word is allowed only where it is right, listed below with why.
"""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

import pytest
import yaml

SRC = Path(__file__).resolve().parents[2] / "src" / "alongside"
TEMPLATES = SRC / "web" / "templates"
CONTENT = SRC / "content"
# Python that writes what people read: pages, use case messages, emails, PDFs, FHIR descriptions.
CODE = [SRC / d for d in ("web", "domain", "reports", "notify", "fhir", "clinical")] + [SRC / "cli.py"]

GENDERED = re.compile(r"\b(her|hers|herself|she|woman|women|lady|ladies|mum|mums)\b", re.IGNORECASE)
AMERICAN = re.compile(r"\b(anemia|anemic|edema|hemoglobin|hematology|tumor|tumors|color|colors|colored|center|centers|"
                      r"leukemia|diarrhea|esophag\w*|estrogen|pediatric|behavior|favorite|gray|labeled|counseling|"
                      r"hospitalization|hemorrhage|optimize|randomized|specialized)\b", re.IGNORECASE)

# Where the word is right. Each entry: (file relative to src/alongside, the text around it, why).
ALLOWED = [
    ("clinical/trial_eligibility.py", "asked of women only",
     "a trial's published eligibility asks menopausal status of women only; the reason quotes it"),
    ("content/drug_classes.yaml", "selective estrogen receptor",
     "a pattern that reads American trial records (ClinicalTrials.gov); the class is named in British spelling"),
    ("content/urgent_words.yaml", "diarrhea", "a spelling someone may type, matched so the urgent word is not missed"),
    ("content/urgent_words.yaml", "hemorrhage", "a spelling someone may type, matched so the urgent word is not missed"),
    ("domain/results.py", "hemoglobin", "the rule that turns CTCAE's American terms into British ones"),
    ("clinical/lab_tests.py", "hemoglobin", "a test name a laboratory may send, read on import"),
    ("clinical/ctcae.py", "Anemia", "the CTCAE v5.0 term as published, shown as anaemia by domain/results.py"),
    ("fhir/codes.py", "tumor-marker-test", "an mCODE profile identifier, a code and not words"),
    ("fhir/export.py", "tumor-marker-test", "an mCODE profile identifier, a code and not words"),
    ("fhir/codes.py", "morphology-behavior", "an mCODE extension identifier, a code and not words"),
]


def _template_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\{#.*?#\}", " ", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", text, flags=re.S | re.I)
    # Attributes no one reads: names, links, classes and styling.
    return re.sub(r"\b(class|id|href|action|name|for|style|src|method|type|rel|aria-labelledby|aria-describedby)"
                  r"=\"[^\"]*\"", " ", text)


def _content_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _content_strings(key)
            yield from _content_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _content_strings(item)


def _code_strings(path: Path):
    """String literals in a Python file, leaving out docstrings."""
    with path.open(encoding="utf-8") as f:
        tokens = list(tokenize.generate_tokens(f.readline))
    starts = (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT)
    for i, token in enumerate(tokens):
        if token.type != tokenize.STRING:
            continue
        before = tokens[i - 1].type if i else tokenize.NEWLINE
        after = tokens[i + 1].type if i + 1 < len(tokens) else tokenize.NEWLINE
        if before in starts and after == tokenize.NEWLINE:
            continue  # a docstring
        yield token.string


def _readable_texts():
    for path in sorted(TEMPLATES.glob("*.html")):
        yield path, _template_text(path)
    for path in sorted(CONTENT.glob("*.yaml")):  # content/trials/ quotes ClinicalTrials.gov and is not scanned
        for text in _content_strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            yield path, text
    for place in CODE:
        for path in sorted(place.rglob("*.py") if place.is_dir() else [place]):
            if "migrations" in path.parts:
                continue
            for text in _code_strings(path):
                yield path, text


def _findings(pattern: re.Pattern) -> list[str]:
    found = []
    for path, text in _readable_texts():
        where = str(path.relative_to(SRC))
        for match in pattern.finditer(text):
            around = text[max(0, match.start() - 40):match.end() + 40]
            if any(where == file and snippet in around for file, snippet, _ in ALLOWED):
                continue
            found.append(f"{where}: {' '.join(around.split())!r}")
    return found


def test_no_page_email_or_pdf_assumes_the_patient_is_a_woman():
    assert _findings(GENDERED) == []


def test_what_people_read_is_spelt_the_british_way():
    assert _findings(AMERICAN) == []


@pytest.mark.parametrize("text, word", [("What she was told", "she"), ("Her goals", "Her"), ("For women only", "women")])
def test_the_scan_catches_gendered_words(text, word):
    assert GENDERED.search(text).group(0) == word


@pytest.mark.parametrize("text, word", [("Grade 3: anemia", "anemia"), ("Tumor markers", "Tumor"), ("text color", "color")])
def test_the_scan_catches_american_spellings(text, word):
    assert AMERICAN.search(text).group(0) == word


def test_a_template_comment_is_not_read_as_text():
    assert "she" not in _template_text_of("{# what she sees #}<p>You</p>")


def _template_text_of(source: str, tmp=Path("/tmp/included/template.html")) -> str:
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(source, encoding="utf-8")
    return _template_text(tmp)
