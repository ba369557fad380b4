"""Which symptoms the check-in asks (issue 16 item 1, hazard H55): the core ones always, those the
treatment in force brings in, and the team's choice for a line; every symptom while the treatment
is not known. Case by case, then as a property over every team choice."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from hypothesis import given, strategies as st
from pydantic import ValidationError

from alongside.domain.check_in_items import check_in_items, check_in_words, course_defaults, symptoms_asked
from alongside.domain.errors import InvalidInput
from alongside.domain.instrument import instrument
from alongside.domain.records import Medication, TreatmentCourse, validate

TODAY = date(2026, 6, 1)
EVERY = tuple(s.code for s in instrument().symptoms)
CORE = set(check_in_items().core)


def course(name: str, modality: str = "chemotherapy", start: date = date(2026, 1, 5), end: date | None = None,
           **choice) -> TreatmentCourse:
    return TreatmentCourse(modality=modality, name=name, start_date=start, end_date=end, **choice)


def test_the_core_symptoms_are_asked_whatever_the_treatment():
    for treatment in (course("Capecitabine"), course("Letrozole", "endocrine"), course("Zoledronic acid", "bone_strengthening")):
        assert CORE <= set(symptoms_asked([treatment], TODAY).codes)


def test_the_core_set_holds_the_symptoms_of_the_disease_itself():
    assert {"pain", "fatigue", "breathlessness", "cough", "nausea", "vomiting", "diarrhoea", "constipation",
            "appetite", "insomnia", "anxiety", "low_mood"} == CORE


def test_capecitabine_adds_hand_foot_and_sore_mouth_and_not_hot_flushes():
    asked = symptoms_asked([course("Capecitabine")], TODAY)
    assert asked.treatment_known
    assert set(asked.codes) == CORE | {"hand_foot", "mouth_sores"}
    assert asked.why["hand_foot"] == "with capecitabine" and asked.why["pain"] == "always asked"


def test_a_brand_name_counts_as_its_medicine():
    assert "hand_foot" in symptoms_asked([course("Xeloda 1000 mg/m2 twice daily")], TODAY)


def test_palbociclib_and_letrozole_add_sore_mouth_aching_and_hot_flushes():
    asked = symptoms_asked([course("Palbociclib and letrozole", "targeted")], TODAY)
    assert set(asked.codes) == CORE | {"mouth_sores", "aches", "hot_flushes"}


def test_a_taxane_adds_numbness_by_its_class():
    assert {"numbness", "aches"} <= set(symptoms_asked([course("Weekly paclitaxel")], TODAY).codes)
    assert "numbness" in symptoms_asked([course("Trastuzumab emtansine (T-DM1)", "antibody_drug_conjugate")], TODAY)


def test_bone_strengthening_adds_aching_by_its_type():
    asked = symptoms_asked([course("Zoledronic acid every 12 weeks", "bone_strengthening")], TODAY)
    assert asked.treatment_known and set(asked.codes) == CORE | {"aches"}


def test_the_symptoms_keep_the_instruments_order():
    asked = symptoms_asked([course("Capecitabine")], TODAY)
    assert list(asked.codes) == [code for code in EVERY if code in asked.codes]


def test_a_team_addition_is_asked():
    asked = symptoms_asked([course("Capecitabine", check_in_added=["numbness"])], TODAY)
    assert "numbness" in asked and asked.why["numbness"] == "added by the team"


def test_a_team_removal_of_a_linked_symptom_is_not_asked():
    asked = symptoms_asked([course("Capecitabine", check_in_removed=["mouth_sores"])], TODAY)
    assert "mouth_sores" not in asked and "hand_foot" in asked


def test_a_symptom_one_course_removed_is_asked_when_another_course_brings_it():
    both = [course("Capecitabine", check_in_removed=["hand_foot"]),
            course("Pegylated liposomal doxorubicin (Caelyx)", start=date(2026, 5, 1))]
    assert symptoms_asked(both, TODAY).why["hand_foot"] == "with liposomal doxorubicin"


def test_a_team_removal_of_a_core_symptom_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as refused:
        validate(TreatmentCourse, {"modality": "chemotherapy", "name": "Capecitabine", "start_date": "2026-01-05",
                                   "check_in_removed": ["pain", "hand_foot"]})
    assert refused.value.errors == [{"field": "check_in_removed",
                                     "message": "Pain is always asked and cannot be removed from the check-in"}]


def test_an_unknown_symptom_in_a_team_choice_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as refused:
        validate(TreatmentCourse, {"modality": "chemotherapy", "name": "Capecitabine", "start_date": "2026-01-05",
                                   "check_in_added": ["hiccups"]})
    (error,) = refused.value.errors
    assert error["field"] == "check_in_added" and "hiccups" in error["message"]


def test_no_course_asks_every_symptom():
    asked = symptoms_asked([], TODAY)
    assert asked.codes == EVERY and not asked.treatment_known


def test_a_course_not_yet_started_asks_every_symptom():
    assert symptoms_asked([course("Capecitabine", start=date(2026, 7, 1))], TODAY).codes == EVERY


def test_a_medicine_treatment_naming_no_known_medicine_asks_every_symptom():
    # The treatment is not known: a trial drug, or a course typed as "Chemotherapy".
    for unknown in (course("Study drug ABC-123", "targeted"), course("Chemotherapy")):
        assert symptoms_asked([unknown], TODAY).codes == EVERY
    # ...even beside a known one, and even if its team removed something.
    beside = [course("Letrozole", "endocrine"), course("ABC-123", "targeted", check_in_removed=["rash"])]
    assert symptoms_asked(beside, TODAY).codes == EVERY


def test_a_stopped_course_counts_for_six_weeks_after_its_stop_date():
    stopped = course("Capecitabine", end=date(2026, 4, 20))
    assert "hand_foot" in symptoms_asked([stopped, course("Letrozole", "endocrine")], date(2026, 6, 1))
    assert "hand_foot" not in symptoms_asked([stopped, course("Letrozole", "endocrine")], date(2026, 6, 2))
    assert symptoms_asked([stopped], date(2026, 6, 2)).codes == EVERY  # nothing in force: not known


def test_course_defaults_say_which_medicine_brings_each_symptom():
    assert course_defaults(course("Tucatinib, trastuzumab and capecitabine", "targeted")) == {
        "hand_foot": "capecitabine", "mouth_sores": "capecitabine", "rash": "tucatinib"}


def test_every_symptom_is_core_or_linked_and_every_link_names_its_source():
    items = check_in_items()
    assert set(items.core) | set(items.linked) == set(EVERY)
    assert all(link.source for link in items.linked.values())
    assert all(items.agents_of(code) or link.modalities for code, link in items.linked.items())


@given(added=st.lists(st.sampled_from(EVERY), unique=True), removed=st.lists(st.sampled_from(EVERY), unique=True),
       name=st.sampled_from(["Capecitabine", "Palbociclib and letrozole", "Paclitaxel", "Alpelisib and fulvestrant"]))
def test_no_team_choice_ever_leaves_out_a_core_symptom(added, removed, name):
    try:
        treatment = course(name, check_in_added=added, check_in_removed=removed)
    except ValidationError:
        assert set(removed) & CORE or set(added) & set(removed)
        return
    asked = symptoms_asked([treatment], TODAY)
    assert CORE <= set(asked.codes) and set(added) <= set(asked.codes)
    assert not (set(removed) & set(asked.codes))


# --- The medicine list: a tablet recorded only there still brings its symptoms in -------------------

def medicine(name: str, start: date | None = date(2026, 3, 1), stop: date | None = None, course_id=None) -> Medication:
    return Medication(name=name, purpose="anticancer", start_date=start, stop_date=stop, course_id=course_id)


def test_a_medicine_only_on_the_medicine_list_adds_its_symptoms_saying_so():
    asked = symptoms_asked([course("Fulvestrant", "endocrine")], TODAY, [medicine("Capecitabine")])
    assert {"hand_foot", "mouth_sores", "hot_flushes"} <= set(asked.codes)
    assert asked.why["hand_foot"] == "with capecitabine (on the medicine list)"
    assert asked.why["hot_flushes"] == "with fulvestrant"
    both = symptoms_asked([course("Capecitabine")], TODAY, [medicine("Capecitabine")])
    assert both.why["hand_foot"] == "with capecitabine"  # the course's reason stands where both bring it


def test_a_medicine_counts_from_its_start_until_six_weeks_after_it_stopped():
    line = [course("Letrozole", "endocrine")]
    assert "hand_foot" not in symptoms_asked(line, TODAY, [medicine("Capecitabine", start=date(2026, 6, 2))])
    stopped = medicine("Capecitabine", stop=date(2026, 4, 20))
    assert "hand_foot" in symptoms_asked(line, date(2026, 6, 1), [stopped])
    assert "hand_foot" not in symptoms_asked(line, date(2026, 6, 2), [stopped])
    assert "hand_foot" in symptoms_asked(line, TODAY, [medicine("Capecitabine", start=None)])  # no date: on the list


def test_a_medicine_known_or_not_never_narrows_what_is_asked():
    line = [course("Letrozole", "endocrine")]
    alone = symptoms_asked(line, TODAY)
    assert symptoms_asked(line, TODAY, [medicine("Paracetamol"), medicine("Study drug XYZ")]) == alone
    assert symptoms_asked([], TODAY, [medicine("Capecitabine")]).codes == EVERY  # no course in force: all


def test_a_medicine_that_is_part_of_a_course_follows_its_teams_choice():
    line_id, other_id = uuid4(), uuid4()
    line = course("Capecitabine", check_in_removed=["hand_foot"])
    asked = symptoms_asked([line], TODAY, [medicine("Capecitabine", course_id=line_id)], [line_id])
    assert "hand_foot" not in asked and "mouth_sores" in asked
    elsewhere = symptoms_asked([line], TODAY, [medicine("Capecitabine", course_id=other_id)], [line_id])
    assert "hand_foot" in elsewhere


def test_the_course_list_says_what_each_course_makes_the_check_in_ask():
    assert check_in_words(course("Capecitabine")) == (
        "Also asks about sore, red or peeling hands or feet (with capecitabine); "
        "also asks about sore mouth or mouth ulcers (with capecitabine)")
    assert check_in_words(course("Radiotherapy to the spine", "radiotherapy")) == "Only the questions asked of everyone"
    assert check_in_words(course("Study drug ABC-123", "targeted")).startswith("Every symptom is asked")
    chosen = check_in_words(course("Capecitabine", check_in_removed=["hand_foot"], check_in_added=["rash"]))
    assert chosen == ("Also asks about sore mouth or mouth ulcers (with capecitabine); added by the team: rash; "
                      "not asked, as the team chose: sore, red or peeling hands or feet")
