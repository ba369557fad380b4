"""The blood tests page: one table per test, newest first, each result outside its range or
graded marked in words (CTCAE v5.0: haemoglobin below 80 g/L is grade 3 anaemia; neutrophils
1.0 to below 1.5 x10^9/L grade 2), paged one test at a time."""

from __future__ import annotations

import re

from .test_pages import page_sign_in


def _rows(html: str, test: str) -> list[str]:
    section = re.search(rf'<h2 id="test-[^"]+">{test}</h2>(.*?)</section>', html, re.S).group(1)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr class=[^>]*>(.*?)</tr>", section, re.S)]


def _add(client, patient, **result) -> None:
    response = client.post(f"/api/v1/patients/{patient}/lab-results", json=result)
    assert response.status_code == 201, response.text


def test_each_test_is_a_table_newest_first_with_low_high_and_graded_results_said(make_client, as_user, world):
    nurse = as_user(world.nurse)
    _add(nurse, world.patient_a, taken_on="2026-09-01", test="Haemoglobin", value=128, unit="g/L",
         reference_low=115, reference_high=165)
    _add(nurse, world.patient_a, taken_on="2026-10-01", test="Haemoglobin", value=78, unit="g/L",
         reference_low=115, reference_high=165)
    _add(nurse, world.patient_a, taken_on="2026-10-01", test="Neutrophils", value=1.2, unit="10*9/L",
         reference_low=2.0, reference_high=7.5)
    _add(nurse, world.patient_a, taken_on="2026-10-08", test="Platelets", value=480, unit="10*9/L",
         reference_low=150, reference_high=400)
    client = make_client()
    page_sign_in(client, world.alice)
    html = client.get(f"/patients/{world.patient_a}/record/lab-results").text
    haemoglobin = _rows(html, "Haemoglobin")
    assert haemoglobin[0] == "1 October 2026 78 normal 115 to 165 Grade 3: anaemia"  # newest first, said in words
    assert haemoglobin[1] == "1 September 2026 128 normal 115 to 165 Within the normal range"
    assert 'class="graded-severe"' in html
    assert _rows(html, "Neutrophils")[0].startswith("1 October 2026 1.2 normal 2 to 7.5 Grade 2")
    assert _rows(html, "Platelets") == ["8 October 2026 480 normal 150 to 400 Above the normal range"]
    assert "Result (×10⁹/L)" in html and "Result (g/L)" in html
    assert "/record/lab-results/" not in html.split("<main", 1)[1].split("Back to the record")[0].replace(
        "/record/lab-results/new", "")  # the patient is not offered changes


def test_one_test_pages_through_all_its_results_and_others_are_not_shown(make_client, as_user, world):
    nurse = as_user(world.nurse)
    for day in range(1, 31):
        _add(nurse, world.patient_a, taken_on=f"2026-08-{day:02d}", test="Haemoglobin", value=100 + day, unit="g/L")
    _add(nurse, world.patient_a, taken_on="2026-08-01", test="Platelets", value=250, unit="10*9/L")
    client = make_client()
    page_sign_in(client, world.nurse)
    everything = client.get(f"/patients/{world.patient_a}/record/lab-results").text
    assert len(_rows(everything, "Haemoglobin")) == 5 and "All 30 Haemoglobin results" in everything
    first = client.get(f"/patients/{world.patient_a}/record/lab-results?test=haemoglobin").text
    assert "Platelets</h2>" not in first and "Page 1 of 2" in first
    rows = _rows(first, "Haemoglobin")
    assert len(rows) == 25 and rows[0].startswith("30 August 2026 130") and rows[-1].startswith("6 August 2026")
    second = client.get(f"/patients/{world.patient_a}/record/lab-results?test=haemoglobin&page=2").text
    assert [r.split(" 2026")[0] for r in _rows(second, "Haemoglobin")] == [f"{d} August" for d in (5, 4, 3, 2, 1)]
    assert "Change" in second  # the nurse may correct a result


def test_another_patients_blood_tests_are_refused(make_client, world):
    client = make_client()
    page_sign_in(client, world.alice)
    response = client.get(f"/patients/{world.patient_b}/record/lab-results")
    assert response.status_code in (403, 404) and "Blood tests" not in response.text


def test_blood_tests_she_waits_to_hear_about_are_not_in_her_table_until_discussed(make_client, as_user, world):
    from .test_result_sharing import choose

    patient = make_client()
    page_sign_in(patient, world.alice)
    assert choose(patient, world.patient_a, blood_tests="after_discussion").status_code == 303
    _add(as_user(world.nurse), world.patient_a, taken_on="2026-10-01", test="Haemoglobin", value=78, unit="g/L",
         reference_low=115, reference_high=165)
    assert "Haemoglobin</h2>" not in patient.get(f"/patients/{world.patient_a}/record/lab-results").text
    nurse = make_client()
    page_sign_in(nurse, world.nurse)
    assert _rows(nurse.get(f"/patients/{world.patient_a}/record/lab-results").text, "Haemoglobin")[0].startswith(
        "1 October 2026 78")  # her team sees it all along
