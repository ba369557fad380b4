"""Eligibility criteria read from a ClinicalTrials.gov study: its structured fields and its text.

Hand-written rules over the criteria list (docs/trials.md says why not medspaCy's ConText):
1. `split_items` cuts the text into inclusion and exclusion items under their headings, which
   vary ("Inclusion Criteria:", "Key Exclusion Criteria", "Maintenance Phase Inclusion Criteria"),
   with nested sub-bullets joined to their parent item;
2. each item is cut into sentences, and each detector reads a sentence in its section: an
   exclusion states what the person must not have, so its requirement is inverted, and
   "except", "unless" and "may be included if" narrow what is excluded;
3. every `Criterion` keeps the whole item it came from as its quoted sentence.
A sentence a detector cannot read with confidence gives no criterion (the team checks it),
never a guessed requirement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alongside.clinical.trial_eligibility import HER2_NEGATIVE, Criterion, CriterionKind as K

from .drug_classes import vocabulary
from .study import Study

__all__ = ["EXTRACTOR_VERSION", "Item", "split_items", "extract_criteria", "criteria_from_text", "is_breast_cancer"]

EXTRACTOR_VERSION = 2  # 2: surgery and locally advanced disease in early trials, HER2 IHC-negative, ER must be expressed, brain metastasis counts, readable exceptions, any anticancer therapy

_HEADING = re.compile(r"^\s*(?:[#*]+\s*)?(?P<head>(?:[\w()/-]+\s+){0,4}?(?P<which>inclusion|exclusion)\s+criteria\b[^:\n]{0,40}:?)",
                      re.IGNORECASE)
# "Inclusion Criteria:1. Men or women 2. Provision of ...": a numbered list run into one line.
_INLINE_NUMBER = re.compile(r"(?<=[a-z)\]])[ \t]+(?=\d{1,2}\.[ \t]+[A-Z])")
_INLINE_HEADING = re.compile(r"(?:(?<=[.;])[ \t]+|[ \t]+-[ \t]*)(?=(key )?(inclusion|exclusion) criteria)", re.I)
_PART = re.compile(r"\b(only|phase|part|cohort|arm|maintenance|stage \d)\b", re.I)
_BULLET = re.compile(r"^(?P<indent>\s*)(?:[*•·-]|\d{1,2}[.)]|[a-z][.)]|[ivx]{1,4}[.)])\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Item:
    """One criterion of the list: its text with any sub-bullets, and the section it is in."""

    text: str
    inclusion: bool
    sentences: tuple[str, ...]
    part: bool = False  # under a heading for one part of the study only ("only for phase III")


def split_items(text: str) -> list[Item]:
    """Inclusion and exclusion items, in order; text before any heading counts as inclusion."""
    items: list[tuple[bool, bool, list[str]]] = []
    inclusion, part = True, False
    parent_indent: int | None = None
    text = _INLINE_HEADING.sub("\n", _INLINE_NUMBER.sub("\n", text.replace("\\", "")))
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        if heading := _HEADING.match(line):
            inclusion = heading["which"].lower() == "inclusion"
            part = bool(_PART.search(heading["head"])) and not re.search(r"\b(both|all)\b", heading["head"], re.I)
            line = line[heading.end():]
            parent_indent = None
            if not line.strip():
                continue
        bullet = _BULLET.match(line)
        indent = len(bullet["indent"]) if bullet else None
        body = line[bullet.end():].strip() if bullet else line.strip()
        nested = bullet and parent_indent is not None and indent > parent_indent
        unbulleted_tail = not bullet and items and items[-1][0] == inclusion and raw.startswith((" ", "\t"))
        if (nested or unbulleted_tail) and items:
            items[-1][2].append(body)
        else:
            items.append((inclusion, part, [body]))
            parent_indent = indent if bullet else None
    return [Item(" ".join(parts), inc, tuple(s for p in parts for s in _sentences(p)), prt) for inc, prt, parts in items]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;])\s+(?=[A-Z(])", text) if s.strip()]


def extract_criteria(study: Study) -> list[Criterion]:
    """The deciding criteria of one study: structured fields first, then its text."""
    criteria = [_condition(study), *_sex_and_age(study)]
    breast = is_breast_cancer(study)
    items = split_items(study.eligibility_text or "")
    if breast:
        from_text = _without_contradictions(criteria_from_items(items))
        if setting := _setting(study, items):
            criteria.append(_distant_if_brain_required(setting, from_text))
        criteria.extend(from_text)
    return criteria


def _distant_if_brain_required(setting: Criterion, criteria: list[Criterion]) -> Criterion:
    """A trial that requires brain metastases requires distant spread: locally advanced disease
    without it is not eligible (the brain sentence is quoted as the reason)."""
    brain = next((c for c in criteria if c.kind is K.brain_metastases and c.inclusion and not c.qualified
                  and "none" not in c.allowed + c.uncertain), None)
    if brain is None or "metastatic" not in setting.allowed:
        return setting
    return Criterion(kind=K.setting, inclusion=True, sentence=brain.sentence, allowed=("metastatic",))


def _without_contradictions(criteria: list[Criterion]) -> list[Criterion]:
    """Drop a receptor kind whose inclusion criteria allow nothing in common (an observational
    study of HER2-negative tumours that also asks for HER2 slides): the text cannot be read."""
    drop = set()
    for kind in (K.er, K.pr, K.her2):
        sets = [set(c.allowed) for c in criteria if c.kind is kind and c.inclusion and not c.hormone_receptor]
        if sets and not set.intersection(*sets):
            drop.add(kind)
    return [c for c in criteria if c.kind not in drop]


def criteria_from_text(text: str) -> list[Criterion]:
    """The criteria read from an eligibility text alone (no structured fields)."""
    return criteria_from_items(split_items(text))


def criteria_from_items(items: list[Item]) -> list[Criterion]:
    found: list[Criterion] = []
    for item in items:
        for sentence in item.sentences:
            context = _normalise(sentence)
            for detect in _DETECTORS:
                for criterion in detect(context, item):
                    if criterion not in found:
                        found.append(criterion)
    # "HR+ ... must express ER" in one item: the ER requirement replaces the ER-or-PR one.
    strict_er = {c.sentence for c in found if c.kind is K.er and c.inclusion and not c.hormone_receptor}
    return [c for c in found if not (c.hormone_receptor and c.sentence in strict_er)]


# --- structured fields -------------------------------------------------------------------------

def is_breast_cancer(study: Study) -> bool:
    # The title counts only with the conditions: "HER2-expressing tumours (excluding breast)".
    named = _OTHER_THAN_BREAST.sub(" ", " ".join((*study.conditions, *study.keywords)).lower())
    if "breast" in named:
        return True
    return not study.conditions and "breast" in study.brief_title.lower()


_OTHER_THAN_BREAST = re.compile(r"(excluding|except|other than|non-)[\w ,/]*?breast")


def _condition(study: Study) -> Criterion:
    words = "; ".join(study.conditions) or study.brief_title
    return Criterion(kind=K.condition, inclusion=True, sentence=f"Conditions: {words}",
                     allowed=("breast",) if is_breast_cancer(study) else ())


def _sex_and_age(study: Study) -> list[Criterion]:
    out = []
    if study.sex in ("FEMALE", "MALE"):
        out.append(Criterion(kind=K.sex, inclusion=True, sentence=f"Sex: {study.sex.lower()} only",
                             allowed=(study.sex.lower(),)))
    if study.minimum_age_years is not None or study.maximum_age_years is not None:
        low, high = study.minimum_age_years, study.maximum_age_years
        words = f"Ages: {f'{low:g}' if low is not None else 'any'} to {f'{high:g}' if high is not None else 'no upper limit'} years"
        out.append(Criterion(kind=K.age, inclusion=True, sentence=words, minimum=low, maximum=high))
    return out


# --- disease setting ---------------------------------------------------------------------------

_NOT_METASTATIC = re.compile(r"non[- ]?metastatic|no (evidence of )?(distant )?metastas[ie]s|without (distant )?metastas[ie]s|\bm0\b"
                             r"|brain (oligo)?metasta\w*|cns metasta\w*", re.I)
_METASTATIC = re.compile(r"metastatic|metastases|metastasis|\badvanced\b(?! (breast )?cancer setting)|stage iv\b|unresectable|inoperable"
                         r"|not amenable to (curative|resection)|\bm?bc\b|recurrent", re.I)
_LOCALLY_ADVANCED_ONLY = re.compile(r"locally advanced", re.I)
_EARLY = re.compile(r"\bearly\b|neo-?adjuvant|\badjuvant\b|operable|stage (i{1,3}|[123])\b|\bpt[1-4]|mastectomy|(?<!radio)surgery|newly diagnosed", re.I)


_LOCALLY = re.compile(r"locally[- ](advanced|recurrent)(/(recurrent|advanced))?|locoregional(ly)? (advanced|recurrent)", re.I)
_METASTASES_IF_ANY = re.compile(r"with/without metastases|with or without metastases|if present|oligometasta", re.I)


def _setting(study: Study, items: list[Item]) -> Criterion | None:
    """Metastatic (or locally advanced inoperable) trials against early / (neo)adjuvant ones.

    The title and conditions speak first: an early, neoadjuvant or adjuvant trial that names no
    metastatic disease there takes early disease (and locally advanced if named). Otherwise the
    first of title, conditions and inclusion items that names metastatic or advanced disease makes
    it a trial for metastatic and locally advanced disease; one that names only locally advanced
    or recurrent disease, or metastases "if present", leaves metastatic disease to the team."""
    headline = [f"Title: {study.official_title or study.brief_title}", f"Conditions: {'; '.join(study.conditions)}"]
    sources = [*headline, *(i.text for i in items if i.inclusion)]
    if any(_EARLY.search(t) for t in headline) and not any(_metastatic(t) for t in headline):
        text = next(t for t in headline if _EARLY.search(t))
        return _early(study, items, text, local=any(_LOCALLY.search(t) for t in headline))
    for text in sources:
        if _metastatic(text) and not _METASTASES_IF_ANY.search(text):
            return Criterion(kind=K.setting, inclusion=True, sentence=text, allowed=("metastatic", "locally_advanced"))
    for text in sources:
        if _LOCALLY.search(text) or _METASTASES_IF_ANY.search(text):
            return Criterion(kind=K.setting, inclusion=True, sentence=text, allowed=("locally_advanced",),
                             uncertain=("metastatic",))
    for text in sources:
        if _EARLY.search(text):
            return _early(study, items, text, local=False)
    return None


# Wording that says surgery has already happened: pathological (pT) staging needs the tumour removed.
_AFTER_SURGERY = re.compile(r"post-?(mastectomy|operative)|after (upfront |definitive |primary )?(breast )?(surgery|mastectomy)"
                            r"|upfront (total )?mastectomy|(undergone|completed) (an? )?(adequate |definitive |\(definitive\) )*"
                            r"(breast |locoregional |primary )?(surgery|mastectomy|therapy \(surgery)|\bresected\b|\boperated\b"
                            r"|complete (microscopic )?excision|\bpt[1-4]", re.I)
_ADJUVANT_ONLY = re.compile(r"(?<!neo)(?<!neo-)(?<!neo/)\badjuvant\b", re.I)


def _early(study: Study, items: list[Item], sentence: str, local: bool) -> Criterion:
    """An early-disease trial, before or after surgery.

    After surgery ("after upfront mastectomy", "operated pT3-4", an adjuvant trial): a profile
    cannot say whether surgery has happened, so early disease is unknown, and inoperable locally
    advanced disease (not operated) is not eligible. Before surgery ("stage I-III", neoadjuvant,
    "planned for surgery"): inoperable locally advanced disease is often stage III and may become
    operable after treatment, so it is unknown unless the trial names it."""
    titles = [study.official_title or "", study.brief_title or ""]
    inclusions = [i.text for i in items if i.inclusion]
    neoadjuvant = any(re.search(r"neo-?adjuvant", t, re.I) for t in titles)
    surgery = next((t for t in inclusions if _AFTER_SURGERY.search(t)), None)
    if surgery is None and not neoadjuvant:
        surgery = next((f"Title: {t}" for t in titles if _ADJUVANT_ONLY.search(t) or _AFTER_SURGERY.search(t)), None)
    if surgery is not None:
        return Criterion(kind=K.setting, inclusion=True, sentence=surgery, allowed=(), after_surgery=True,
                         uncertain=("early", "locally_advanced") if local else ("early",))
    if local:
        return Criterion(kind=K.setting, inclusion=True, sentence=sentence, allowed=("early", "locally_advanced"))
    return Criterion(kind=K.setting, inclusion=True, sentence=sentence, allowed=("early",), uncertain=("locally_advanced",))


def _metastatic(text: str) -> bool:
    return bool(_METASTATIC.search(_LOCALLY.sub(" ", _NOT_METASTATIC.sub(" ", text))))


# --- the text detectors ------------------------------------------------------------------------

_LONG_NAMES = [(r"human epidermal growth factor receptor[- ]2", "HER2"), (r"(o)?estrogen receptor", "ER"),
               (r"progesterone receptor", "PR"), (r"hormone receptor", "HR")]


def _normalise(sentence: str) -> str:
    text = sentence
    for long, short in _LONG_NAMES:
        text = re.sub(rf"{long}\s*(\({short}\))?", short, text, flags=re.I)
    return re.sub(r"\s+", " ", text)


def _crit(kind: K, item: Item, **fields) -> Criterion:
    fields["qualified"] = fields.get("qualified", False) or item.part
    return Criterion(kind=kind, inclusion=item.inclusion, sentence=item.text, **fields)


_QUALIFIED = re.compile(r"\bunless\b|considered eligible|may be (included|enrolled|eligible)|are eligible|will be eligible|allowed|permitted|can be enrolled|provided", re.I)
_TREATED_STABLE = re.compile(r"\btreated\b|\bstable\b|inactive|asymptomatic|no longer symptomatic|controlled", re.I)
_ACTIVE_WORDS = re.compile(r"\bactive\b|untreated|symptomatic|uncontrolled|progressi", re.I)


_HER2_IHC_NEGATIVE = re.compile(r"her2 (immunohistochemistry|ihc)( \(ihc\))?[- ]negative|her2[- ]ihc[- ]negative|ihc (0|zero) or 1\+(?!,)", re.I)
_ER_EXPRESSED = re.compile(r"must express er\b|\ber with or without (co-?expression of )?pr\b", re.I)


def _receptors(text: str, item: Item) -> list[Criterion]:
    out: list[Criterion] = []
    low = text.lower()
    if "risk factor" in low or (item.inclusion and _QUALIFIED.search(low) and "eligible" in low):
        return out
    hormone_status_open = re.search(r"regardless of (hr|er|hormone)", low)
    if not item.inclusion:
        if re.search(r"her2[- ]?(positive|\+)|her2 overexpress", low) and not _QUALIFIED.search(low) \
                and not _PRIOR_CUE.search(low) and not re.search(r"therap|treatment", low):
            out.append(_crit(K.her2, item, allowed=HER2_NEGATIVE))
        return out
    if re.search(r"triple[- ]negative|\btnbc\b", low):
        return [_crit(K.er, item, allowed=("negative",)), _crit(K.pr, item, allowed=("negative",)),
                _crit(K.her2, item, allowed=HER2_NEGATIVE)]
    if re.search(r"her2[- ]?(low|ultra-?low)", low):
        allowed = ("low", "ultralow") if "ultra" in low else ("low",)
        out.append(_crit(K.her2, item, allowed=allowed))
    elif _HER2_IHC_NEGATIVE.search(low):
        # IHC-negative is IHC 0 or 1+ (ASCO/CAP 2018): HER2-low may be 1+ or 2+ without amplification.
        out.append(_crit(K.her2, item, allowed=("negative", "ultralow"), uncertain=("low",)))
    elif re.search(r"her2\)?[- ]?(positiv|\+|overexpress|amplified)|ihc 3\+", low):
        out.append(_crit(K.her2, item, allowed=("positive",)))
    elif re.search(r"her2\)?[- ]?(negative|-(?![\w])|−)|her2 ?-(?=[\s,/)])", low):
        out.append(_crit(K.her2, item, allowed=HER2_NEGATIVE))
    if hormone_status_open:
        return out
    if _ER_EXPRESSED.search(low):
        out.append(_crit(K.er, item, allowed=("positive",)))  # "HR+ ... must express ER": PR alone is not enough
    elif re.search(r"\bhr\)?[- ]?(positive|\+)|\ber\+? ?(and|and/or|or) ?pr\+?|\ber ?(and|/|and/or) ?pr[- ]positive|er\+ and/or pr\+", low) \
            or re.search(r"\ber\)?[- ]?positive and/or pr", low):
        out.append(_crit(K.er, item, allowed=("positive",), hormone_receptor=True))
    elif re.search(r"\ber\)?[- ]?(positive|\+)", low):
        out.append(_crit(K.er, item, allowed=("positive",)))
    elif re.search(r"\b(hr|er)\)?[- ]?negative", low) and "pr" not in low:
        out.append(_crit(K.er, item, allowed=("negative",)))
    return out


_NUMBER = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "a": 1, "single": 1}
_N = r"(\d|one|two|three|four|five)"
_ADVANCED_CONTEXT = re.compile(r"metastatic|advanced|\bmbc\b|\babc\b|recurrent|unresectable|inoperable|\blines?\b", re.I)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER[word.lower()]


def _lines_kind(text: str) -> tuple[K, bool] | None:
    low = text.lower()
    if "non-hormonal" in low or "non-endocrine" in low:
        return K.prior_lines, True
    systemic = re.search(r"systemic|anti-?cancer", low)
    chemo = re.search(r"chemotherap|cytotoxic", low)
    if systemic and (not chemo or systemic.start() < chemo.start() or re.search(r"chemotherap(y|ies)( or| and/or)? (other )?systemic", low)):
        return K.prior_lines, False
    if "chemotherap" in low or "cytotoxic" in low:
        return K.prior_chemotherapy_lines, False
    if re.search(r"endocrine|hormonal", low):
        return K.prior_endocrine_lines, False
    if re.search(r"systemic|anti-?cancer|therap|treatment|regimen|\blines?\b", low):
        return K.prior_lines, False
    return None


def _prior_lines(text: str, item: Item) -> list[Criterion]:
    """Lines of treatment for advanced disease, with the usual wording of the limits."""
    low = text.lower()
    if not _ADVANCED_CONTEXT.search(low) or re.search(r"\bwithin \d+ (days|weeks)|washout", low):
        return []
    kind = _lines_kind(low)
    if kind is None:
        return []
    kind, non_endocrine = kind
    named = any(a not in _VAGUE_CLASSES for a in vocabulary().mentioned(text))
    if kind is K.prior_lines and named and not re.search(r"\blines?\b|regimens?|systemic", low):
        return []  # about named medicines ("prior PI3K inhibitor in the metastatic setting"): _prior_agents reads it
    limit: dict[str, float] = {}
    if m := re.search(rf"at least {_N} but (not|no) more than {_N}", low):
        limit = {"minimum": _count(m[1]), "maximum": _count(m[3])}
    elif m := re.search(rf"(up to|no more than|not more than|at most|maximum of|≤) ?{_N}\b(?! (days|weeks|months|years))", low):
        limit = {"maximum": _count(m[2])}
    elif m := re.search(rf"more than {_N}\b (prior )?(lines?|regimens?)", low):
        n = _count(m[1])
        limit = {"maximum": n} if not item.inclusion else {"minimum": n + 1}
    elif m := re.search(rf"(at least|≥|a minimum of) ?{_N}\b (prior )?(lines?|regimens?|prior)", low):
        limit = {"minimum": _count(m[2])} if item.inclusion else {}
    elif m := re.search(rf"{_N} or more (prior )?(lines?|regimens?)", low):
        limit = {"minimum": _count(m[1])} if item.inclusion else {}
    elif re.search(r"\b(no|without) (prior|previous)\b", low) and item.inclusion:
        limit = {"maximum": 0}
    elif item.inclusion and re.search(r"progress(ed|ion)? (on|after|during) (any |at least one |≥ ?1 )?(prior )?(systemic|line|endocrine|chemo|anti-?cancer)", low):
        limit = {"minimum": 1, **_qualification(low)}
    elif not item.inclusion and re.search(r"\b(prior|previous|received|any line)\b", low) \
            and re.search(r"(for|in)( the)? (\w+ ){0,5}(metastatic|advanced|mbc|abc|recurrent|unresectable)", low) \
            and not _QUALIFIED.search(low) and not re.search(r"(neo)?adjuvant|curative", low.split("(")[0]):
        limit = {"maximum": 0}
    elif not item.inclusion and re.search(r"\b(prior|previous|received)\b", low) \
            and re.search(r"(for|in)( the)? (\w+ ){0,5}(metastatic|advanced|mbc|abc)", low):
        limit = {"maximum": 0}
    if not limit:
        return []
    return [_crit(kind, item, non_endocrine=non_endocrine, **limit)]


# "unless patient died within the first 12 months": a waiver of follow-up records, not of the requirement.
_RECORDS_WAIVER = re.compile(r"\bunless (the )?(patient|participant)s? died\b[^.;]*?(?= \w\) |$)", re.I)
_HR_EXCEPTION = re.compile(r"\b(hr|hormone receptor)[- ]?(positive|\+) (patients |participants )?(will be|are|may be|can be) "
                           r"(considered )?eligible\b(?P<condition>.*)", re.I)


def _qualification(low: str) -> dict:
    """Whether a sentence has an exception, and who it is for when it can be read: an exception
    for HR-positive people with named earlier treatment cannot help anyone outside it."""
    text = _RECORDS_WAIVER.sub(" ", low)
    exception = _HR_EXCEPTION.search(text)
    if exception is None or _QUALIFIED.search(text[:exception.start()]):
        return {"qualified": bool(_QUALIFIED.search(text))}
    condition = exception["condition"]
    return {"qualified": True, "exception_if_hormone_receptor_positive": True,
            "exception_if_agents": vocabulary().mentioned(condition),
            "exception_if_setting": "early" if re.search(r"(neo)?adjuvant|early", condition) else "any"}


_PRIOR_CUE = re.compile(r"\b(prior|previous(ly)?|received|treated with|treatment with|exposure|progress(ed|ion)? (on|after)|pretreated|refractory)\b", re.I)
_SKIP_AGENTS = re.compile(r"hypersensitiv|tolerance|progression (≤|<|within)|qtc|allerg|contraindicat|cumulative dose|concomitant|concurrent|planning to receive|eligible for|willing|"
                          r"\bwithin \d+ (days|weeks)|washout|will receive|randomi[sz]ed to", re.I)
_EXCEPT = re.compile(r"\bexcept\b|with the exception of|other than|apart from|\bunless\b", re.I)
_VAGUE_CLASSES = {"chemotherapy", "endocrine"}
_REQUIRED_BEFORE = re.compile(r"progress|relapsed|refractory|resistan|pretreated|previous treatment with|must have (received|been treated)", re.I)


def _prior_agents(text: str, item: Item) -> list[Criterion]:
    low = text.lower()
    if not _PRIOR_CUE.search(low) or _SKIP_AGENTS.search(low):
        return []
    parts = _EXCEPT.split(text, maxsplit=1)
    head, tail = (parts[0], parts[-1]) if len(parts) > 1 else (text, "")
    negated = bool(re.search(r"\b(no|without|not have|must not|never)\b (\w+ ){0,3}(prior|previous|received|been treated)", low))
    required = item.inclusion and not negated
    # A required class is read broadly ("prior endocrine therapy" takes any of them); a forbidden
    # one narrowly, so that a vague word never rules anyone out.
    agents = tuple(a for a in vocabulary().mentioned(head) if required or a not in _VAGUE_CLASSES)
    if not agents:
        return []
    setting = "metastatic" if re.search(r"(in|for)( the)? (\w+ ){0,6}(metastatic|advanced)( \w+)* (setting|disease|cancer)", head.lower()) else "any"
    except_agents = tuple(a for a in vocabulary().mentioned(tail) if a not in _VAGUE_CLASSES)
    except_setting = "early" if re.search(r"(neo)?adjuvant|early", tail.lower()) else "any"
    if re.search(r"(permitted|allowed) in the (neo)?adjuvant", low) and not except_agents:
        except_agents, except_setting = agents, "early"
    if required:
        # Only wording that asks for earlier treatment, not "who received adjuvant chemotherapy must...".
        if not _REQUIRED_BEFORE.search(low) or _QUALIFIED.search(low):
            return []
        return [_crit(K.prior_agents, item, agents=group, forbidden=False, in_setting=setting) for group in _groups(agents)]
    return [_crit(K.prior_agents, item, agents=agents, forbidden=True, in_setting=setting,
                  except_agents=except_agents, except_setting=except_setting)]


def _groups(names: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Required medicines, one group per class: "a CDK4/6 inhibitor with an aromatase inhibitor"
    needs both; "palbociclib, ribociclib or abemaciclib" one of the class; a class named beside
    its members ("ET (tamoxifen, AI or SERD)") is one group."""
    vocab = vocabulary()
    def members(name: str) -> set[str]:
        return {a for a, classes in vocab.classes_of.items() if name in classes} or {name}
    groups: list[set[str]] = []
    for name in names:
        covered = members(name)
        for group in groups:
            known = set().union(*(members(n) for n in group))
            if covered <= known or known <= covered:
                group.add(name)
                break
        else:
            groups.append({name})
    return [tuple(n for n in names if n in group) for group in groups]


_BRAIN = re.compile(r"brain metasta|brain lesion|cns metasta|central nervous system (\(cns\) )?metasta|cns (disease|lesion)|brain oligometasta", re.I)
_BRAIN_COUNT = re.compile(r"\b\d+ (to|-|–|or) \d+ (brain|cns)|(up to|no more than|at most|≤ ?)\s*\d+ (brain|cns)|oligometasta", re.I)
_LEPTO = re.compile(r"leptomeningeal|carcinomatous meningitis|meningeal carcinomatosis", re.I)


def _brain(text: str, item: Item) -> list[Criterion]:
    low = text.lower()
    out: list[Criterion] = []
    if _BRAIN.search(low):
        qualified = _QUALIFIED.search(low) or (not item.inclusion and _ACTIVE_WORDS.search(low))
        if item.inclusion and not _QUALIFIED.search(low) and not _TREATED_STABLE.search(low):
            # A trial for brain metastases: whether treated, stable ones count is for the team.
            if _BRAIN_COUNT.search(low):
                # "1 to 3 brain metastases": how many she has is not in a profile, so even active ones are unknown.
                out.append(_crit(K.brain_metastases, item, allowed=(), uncertain=("active", "stable")))
            else:
                out.append(_crit(K.brain_metastases, item, allowed=("active",), uncertain=("stable",)))
        elif not item.inclusion and re.search(r"[>≥]\s*\d+ (brain|cns)", low):
            pass  # a limit on how many: the team counts them
        elif "untreated" in low and _QUALIFIED.search(low) or re.search(r"treated or untreated", low):
            pass  # untreated brain metastases allowed: nothing to decide on
        elif qualified and (_TREATED_STABLE.search(low) or _ACTIVE_WORDS.search(low)):
            out.append(_crit(K.brain_metastases, item, allowed=("none", "stable")))
        elif not item.inclusion:
            out.append(_crit(K.brain_metastases, item, allowed=("none",)))
    if _LEPTO.search(low) and not item.inclusion and not re.search(r"\bunless\b|may be (included|enrolled)", low):
        out.append(_crit(K.leptomeningeal_disease, item, allowed=("false",)))
    return out


def _measurable(text: str, item: Item) -> list[Criterion]:
    low = text.lower()
    if not item.inclusion or not re.search(r"measurable (disease|lesion)|at least one measurable|≥ ?1 measurable", low):
        return []
    if re.search(r"non-?measurable|evaluable|or bone[- ]only|and/or|absence of measurable|bone lesions", low):
        return []
    return [_crit(K.measurable_disease, item, allowed=("true",))]


def _ecog(text: str, item: Item) -> list[Criterion]:
    low = text.lower()
    m = re.search(r"(ecog|who performance|eastern cooperative oncology group)[^.;]{0,40}?(performance status|ps)?[^.;0-9]{0,20}"
                  r"(?P<scale>[0-4]((\s*(-|–|to|or|,|and)\s*)+[0-4])*)", low)
    if not m or not item.inclusion:
        return []
    digits = [int(d) for d in re.findall(r"[0-4]", m["scale"])]
    before = low[m.start():m.start("scale")].rstrip()[-6:]
    if "≤" in before or "<=" in before or "up to" in before:
        return [_crit(K.ecog, item, minimum=0, maximum=digits[-1])]
    if before.endswith("<"):
        return [_crit(K.ecog, item, minimum=0, maximum=digits[-1] - 1)]
    return [_crit(K.ecog, item, minimum=min(digits), maximum=max(digits))]


def _menopause(text: str, item: Item) -> list[Criterion]:
    low = text.lower()
    if not item.inclusion or not re.search(r"post-?menopausal", low) or re.search(r"\bpre\b|pre-|premenopaus|perimenopaus|peri-", low):
        return []
    return [_crit(K.menopausal_status, item, allowed=("postmenopausal",), men_exempt=bool(re.search(r"\b(males?|men)\b", low)))]


_GENES = {"pik3ca": ("PIK3CA",), "esr1": ("ESR1",), "akt1": ("AKT1",), "pten": ("PTEN",), "palb2": ("PALB2",)}


def _biomarkers(text: str, item: Item) -> list[Criterion]:
    low = text.lower()
    out: list[Criterion] = []
    if not item.inclusion or re.search(r"(mutation|mutational) status|analysis of|versus|regardless|irrespective|either", low):
        return out
    germline = "germline" in low or re.search(r"\bg ?brca", low)
    genes: list[str] = []
    if re.search(r"brca", low):
        genes += ["gBRCA1", "gBRCA2"] if germline else ["BRCA1", "BRCA2", "gBRCA1", "gBRCA2"]
    genes += [g for word, names in _GENES.items() if re.search(rf"\b{word}", low) for g in names]
    if genes and re.search(r"mutat|mutant|pathogenic|deleterious|altered|alteration|variant|\bm\b", low):
        wild = re.search(r"wild[- ]type|without|no (known )?(\w+ )?mutation|non-?mutated", low)
        out.append(_crit(K.biomarkers, item, genes=tuple(dict.fromkeys(genes)), allowed=("negative",) if wild else ("mutated",)))
    if re.search(r"pd-?l1", low) and not re.search(r"inhibitor|antibod|therap", low):
        if re.search(r"pd-?l1[- ]?(positive|\+)|cps ?(≥|>=|>)|tps ?(≥|>=|>)|pd-?l1 expression", low):
            out.append(_crit(K.biomarkers, item, genes=("PD-L1",), allowed=("positive",)))
        elif re.search(r"pd-?l1[- ]?negative", low):
            out.append(_crit(K.biomarkers, item, genes=("PD-L1",), allowed=("negative",)))
    return out


_ANY_TREATMENT = re.compile(r"\b(received|had) any (anti-?cancer|systemic) therapy\b|\bany (prior|previous)( or concurrent)?\b[^.;]{0,40}"
                            r"\b(systemic (anti-?cancer )?|anti-?cancer )(therapy|treatment)", re.I)
_ANY_TREATMENT_NARROWED = re.compile(r"(for|in)( the)? (\w+ ){0,3}(metastatic|advanced|recurrent|unresectable|mbc|abc)|\bwithin \d+"
                                     r"|washout|investigational|\bexcept\b|other than|non-?hormonal|non-?endocrine", re.I)


def _no_treatment_at_all(text: str, item: Item) -> list[Criterion]:
    """An exclusion of any earlier anticancer therapy ("Received any anticancer therapy"), in
    trials for untreated disease: every medicine of the vocabulary is forbidden, in any setting."""
    low = text.lower()
    if item.inclusion or not _ANY_TREATMENT.search(low) or _ANY_TREATMENT_NARROWED.search(low) or _QUALIFIED.search(low):
        return []
    return [_crit(K.prior_agents, item, agents=tuple(sorted(vocabulary().classes_of)), forbidden=True)]


_DETECTORS = (_receptors, _prior_lines, _prior_agents, _brain, _measurable, _ecog, _menopause, _biomarkers, _no_treatment_at_all)
