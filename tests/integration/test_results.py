"""Results over time through the HTTP app and the database: checked blood results, alerts for
severe ones, CSV import (all or nothing, idempotent), scans with RECIST, and the timeline."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from alongside.domain.records import RECORD_KINDS, Scan
from alongside.store import tables as t

from .conftest import NOW
TODAY = NOW.date()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def lab(test: str, value: float, unit: str, days_ago: int = 2, **more) -> dict:
    return {"taken_on": ago(days_ago), "test": test, "value": value, "unit": unit, **more}


def lab_rows(engine, patient_id) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(t.LabResultRow)
                                 .where(t.LabResultRow.patient_id == patient_id))


def start_second_line(nurse, world, name: str, days_ago: int) -> None:
    """End the factory's first line the day before, then start a second one."""
    url = f"/api/v1/patients/{world.patient_a}/treatment-courses"
    first = nurse.get(f"{url}/{world.course_a}").json()
    changed = {k: v for k, v in first.items() if k not in ("id", "patient_id", "created_at", "updated_at")}
    ended = nurse.put(f"{url}/{world.course_a}", json={**changed, "end_date": ago(days_ago + 1)})
    assert ended.status_code == 200, ended.text
    second = nurse.post(url, json={"modality": "chemotherapy", "name": name, "line_of_treatment": 2,
                                   "start_date": ago(days_ago)})
    assert second.status_code == 201, second.text


def problem_fields(response) -> dict[str, str]:
    body = response.json()
    return {e["field"]: e["message"] for e in body.get("errors", [])} or {body.get("field"): body["detail"]}


# --- Checking each result where it enters -----------------------------------------------------------

@pytest.mark.parametrize("result, field, words", [
    (lab("Neutrophils", -1, "10*9/L"), "value", "not a possible"),
    (lab("Neutrophils", 1.2, "furlongs"), "unit", "furlongs"),
    (lab("Platelets", 150, "mmol/L"), "unit", "Platelets"),
    (lab("Haemoglobin", 12, "g/L", reference_low=130, reference_high=120), "reference_high", "below"),
])
def test_a_result_that_cannot_be_right_is_refused_naming_the_field(world, client_for, engine, result, field, words):
    nurse = client_for(world.nurse)
    before = lab_rows(engine, world.patient_a)
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results", json=result)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in problem_fields(response)[field]
    assert lab_rows(engine, world.patient_a) == before


def test_units_are_converted_so_g_per_dl_and_g_per_l_plot_together(world, client_for):
    nurse = client_for(world.nurse)
    for result in (lab("Haemoglobin", 12.1, "g/dL", 30, loinc="718-7"), lab("Haemoglobin", 118, "g/L", 10)):
        assert nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results", json=result).status_code == 201
    story = nurse.get(f"/api/v1/patients/{world.patient_a}/timeline", params={"labs": "haemoglobin"}).json()
    series = story["labs"][0]
    assert series["unit"] == "g/L"
    assert [round(r["value"]) for r in series["readings"]] == [121, 118]


# --- Severe results alert the team ----------------------------------------------------------------

def test_grade_3_neutropenia_alerts_the_team_once(world, client_for):
    nurse = client_for(world.nurse)
    result = lab("Neutrophils", 0.8, "10*9/L", loinc="751-8", reference_low=2.0, reference_high=7.5,
                 id="5b0e8a55-7a4f-4d5e-9a53-5d4b8f0e2c11")
    for _ in range(2):  # a retry of the same entry raises nothing new
        assert nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results", json=result).status_code == 201
    alerts = [a for a in nurse.get("/api/v1/alerts").json() if a["rule"] == "lab"]
    assert len(alerts) == 1
    assert alerts[0]["level"] == "amber"
    assert alerts[0]["values"]["grade"] == 3
    assert "Neutrophil count decreased" in alerts[0]["summary"]


@pytest.mark.parametrize("value, days_ago, level", [
    (0.4, 2, "red"),     # grade 4: under 0.5
    (1.2, 2, None),      # grade 2: no alert
    (0.8, 40, None),     # grade 3, but an old result entered late
])
def test_which_neutrophil_results_alert(world, client_for, value, days_ago, level):
    nurse = client_for(world.nurse)
    result = lab("Neutrophils", value, "10*9/L", days_ago, reference_low=2.0, reference_high=7.5)
    assert nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results", json=result).status_code == 201
    levels = [a["level"] for a in nurse.get("/api/v1/alerts").json()
              if a["rule"] == "lab" and a["patient_id"] == str(world.patient_a)]
    assert levels == ([level] if level else [])


def test_high_adjusted_calcium_is_worked_out_from_calcium_and_albumin_and_alerts(world, client_for):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}/lab-results"
    nurse.post(url, json=lab("Calcium", 3.2, "mmol/L", reference_low=2.2, reference_high=2.6))
    nurse.post(url, json=lab("Albumin", 30, "g/L", reference_low=35, reference_high=50))
    alerts = [a for a in nurse.get("/api/v1/alerts").json() if a["rule"] == "lab"]
    assert [a["item"] for a in alerts] == ["calcium_adjusted"]
    assert alerts[0]["values"]["value"] > 3.2  # low albumin raises the adjusted value


# --- CSV import --------------------------------------------------------------------------------------

HEADER = "taken_on,test,value,unit,reference_low,reference_high,loinc,laboratory\n"


def csv_of(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


def test_a_csv_file_imports_once_and_a_second_time_adds_nothing(world, client_for, engine):
    nurse = client_for(world.nurse)
    body = csv_of(f"{ago(90)},Neutrophils,3.1,10*9/L,2.0,7.5,751-8,City Lab",
                  f"{ago(90)},Haemoglobin,12.4,g/dL,11.5,16.5,718-7,City Lab",
                  f"{ago(45)},Creatinine,0.9,mg/dL,,,2160-0,",
                  f"{ago(3)},Platelets,18,10*9/L,150,400,777-3,City Lab")
    url = f"/api/v1/patients/{world.patient_a}/lab-results/import"
    first = nurse.post(url, content=body, headers={"Content-Type": "text/csv"})
    assert first.status_code == 200, first.text
    assert (first.json()["added"], first.json()["already_there"]) == (4, 0)
    assert [a["item"] for a in first.json()["alerts"]] == ["platelets"]  # grade 4: under 25
    second = nurse.post(url, content=body, headers={"Content-Type": "text/csv"})
    assert (second.json()["added"], second.json()["already_there"]) == (0, 4)
    assert second.json()["alerts"] == []
    assert lab_rows(engine, world.patient_a) == 4


@pytest.mark.parametrize("body, field", [
    (csv_of(f"{ago(9)},Neutrophils,3.1,10*9/L,,,,", f"{ago(8)},Neutrophils,abc,10*9/L,,,,"), "row 3.value"),
    (csv_of(f"{ago(9)},Platelets,210,mmol/L,,,,"), "row 2.unit"),
    (csv_of(f"{ago(9)},Neutrophils,3.1,10*9/L,,,,,extra"), "row 2"),
    (csv_of(f"{ago(9)},Neutrophils,3.1,,,,,"), "row 2.unit"),
    ("taken_on,test,valeu,unit\n2026-01-01,Neutrophils,3.1,10*9/L\n", "row 1"),
])
def test_a_broken_row_names_itself_and_nothing_is_imported(world, client_for, engine, body, field):
    nurse = client_for(world.nurse)
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/lab-results/import", content=body,
                          headers={"Content-Type": "text/csv"})
    assert response.status_code == 422, response.text
    assert field in problem_fields(response)
    assert lab_rows(engine, world.patient_a) == 0


def test_the_import_page_lists_bad_rows_and_keeps_nothing(world, client_for, engine):
    nurse = client_for(world.nurse)
    page = nurse.get(f"/patients/{world.patient_a}/lab-results/import")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    body = csv_of(f"{ago(9)},Neutrophils,3.1,10*9/L,,,,", f"{ago(8)},Neutrophils,-4,10*9/L,,,,")
    response = nurse.post(f"/patients/{world.patient_a}/lab-results/import", data={"csrf_token": token},
                          files={"file": ("bloods.csv", body.encode(), "text/csv")})
    assert response.status_code == 422
    assert "Row 3, value" in response.text
    assert lab_rows(engine, world.patient_a) == 0
    good = csv_of(f"{ago(9)},Neutrophils,3.1,10*9/L,,,,")
    done = nurse.post(f"/patients/{world.patient_a}/lab-results/import", data={"csrf_token": token},
                      files={"file": ("bloods.csv", good.encode(), "text/csv")})
    assert done.status_code == 303
    assert lab_rows(engine, world.patient_a) == 1


def test_a_patient_cannot_import_into_another_record(world, client_for, engine):
    alice = client_for(world.alice)
    response = alice.post(f"/api/v1/patients/{world.patient_b}/lab-results/import",
                          content=csv_of(f"{ago(9)},Neutrophils,3.1,10*9/L,,,,"), headers={"Content-Type": "text/csv"})
    assert response.status_code in (403, 404)
    assert lab_rows(engine, world.patient_b) == 1  # only the factory's own sample


# --- Scans ---------------------------------------------------------------------------------------------

def test_a_scan_before_the_diagnosis_or_a_lesion_without_a_size_is_refused(world, client_for):
    nurse = client_for(world.nurse)
    profile = nurse.get(f"/api/v1/patients/{world.patient_a}").json()
    nurse.put(f"/api/v1/patients/{world.patient_a}/cancer-profile",
              json={**profile["cancer_profile"], "primary_diagnosis_date": "2020-05-01"})
    url = f"/api/v1/patients/{world.patient_a}/scans"
    early = nurse.post(url, json={"performed_on": "2017-12-01", "modality": "ct"})  # over a year before: a slip?
    assert early.status_code == 422 and "performed_on" in problem_fields(early)
    no_size = nurse.post(url, json={"performed_on": ago(5), "modality": "ct", "target_lesions": "Liver segment 6:"})
    assert no_size.status_code == 422 and "Line 1" in problem_fields(no_size)["target_lesions"]


def test_recist_response_is_worked_out_against_the_lines_baseline_scan(world, client_for):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}"
    start_second_line(nurse, world, "Paclitaxel", 200)
    scans = [(210, "Liver: 40\nLung: 20", "non-CR/non-PD", "yes"),   # baseline: 60 mm
             (120, "Liver: 30\nLung: 11", "non-CR/non-PD", "no"),    # 41 mm: down 32% -> PR
             (30, "Liver: 33\nLung: 16", "non-CR/non-PD", "no")]     # 49 mm: up 8 mm, 19.5% on the nadir -> SD
    for days, lesions, non_target, new in scans:
        response = nurse.post(f"{url}/scans", json={"performed_on": ago(days), "modality": "ct", "target_lesions": lesions,
                                                    "non_target": non_target, "new_lesions": new})
        assert response.status_code == 201, response.text
    story = nurse.get(f"{url}/timeline", params={"span": "all"}).json()
    assert [(s["target_sum_mm"], s["recist"]) for s in story["scans"]] == [(60, None), (41, "PR"), (49, "SD")]


def scan_column(page_text: str) -> list[str]:
    """The RECIST 1.1 reading of each scan in the timeline's scan table, newest first, as words."""
    table = page_text.split('id="t-scans"', 1)[1]
    rows = re.findall(r"<tr class=[^>]*>.*?</tr>", table, re.S)
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", row))).split("RECIST 1.1: ", 1)[1].strip()
            for row in rows]


def test_the_baseline_scan_says_baseline_not_not_measured(world, client_for):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}"
    start_second_line(nurse, world, "Paclitaxel", 200)
    for days, lesions in ((210, "Liver: 40\nLung: 20"), (120, "Liver: 30\nLung: 11")):
        response = nurse.post(f"{url}/scans", json={"performed_on": ago(days), "modality": "ct",
                                                    "target_lesions": lesions, "non_target": "none"})
        assert response.status_code == 201, response.text
    page = nurse.get(f"/patients/{world.patient_a}/timeline", params={"span": "all"})
    assert page.status_code == 200
    assert scan_column(page.text) == ["PR: partial response (lesions add up to 41 mm)",
                                      "baseline for line 2 (lesions add up to 60 mm)"]


def test_a_scan_naming_a_lesion_the_baseline_does_not_have_is_refused_naming_the_field(world, client_for, engine):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}/scans"
    start_second_line(nurse, world, "Paclitaxel", 200)
    assert nurse.post(url, json={"performed_on": ago(210), "modality": "ct",
                                 "target_lesions": "Liver segment 6: 40\nLung: 20"}).status_code == 201
    refused = nurse.post(url, json={"performed_on": ago(120), "modality": "ct",
                                    "target_lesions": "Liver segment 7: 30\nLung: 11"})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    message = problem_fields(refused)["target_lesions"]
    assert "Liver segment 7 is not a target lesion" in message and "Liver segment 6" in message
    assert len(nurse.get(url).json()) == 1  # nothing half-saved
    same_in_other_case = nurse.post(url, json={"performed_on": ago(120), "modality": "ct",
                                               "target_lesions": "liver SEGMENT  6: 30\nlung: 11", "non_target": "none"})
    assert same_in_other_case.status_code == 201, same_in_other_case.text
    story = nurse.get(f"/api/v1/patients/{world.patient_a}/timeline", params={"span": "all"}).json()
    assert [s["recist"] for s in story["scans"]] == [None, "PR"]


def test_the_scan_form_offers_the_baselines_lesions_to_measure_not_free_text(world, client_for):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}"
    start_second_line(nurse, world, "Paclitaxel", 200)
    assert nurse.post(f"{url}/scans", json={"performed_on": ago(210), "modality": "ct",
                                            "target_lesions": "Liver segment 6: 40\nLung: 20"}).status_code == 201
    form = nurse.get(f"/patients/{world.patient_a}/record/scans/new")
    assert form.status_code == 200
    assert 'name="target_lesions.site.0" value="Liver segment 6"' in form.text
    assert 'name="target_lesions.site.1" value="Lung"' in form.text
    assert '<textarea id="f-target_lesions"' not in form.text
    csrf = nurse.get("/api/v1/me").json()["csrf_token"]
    typed = {"csrf_token": csrf, "performed_on": ago(120), "non_target": "none",
             "target_lesions.site.0": "Liver segment 6", "target_lesions.mm.0": "30",
             "target_lesions.site.1": "Lung", "target_lesions.mm.1": "11"}
    again = nurse.post(f"/patients/{world.patient_a}/record/scans/new", data=typed)  # no type of scan
    assert again.status_code == 422 and 'name="target_lesions.mm.0"\n          value="30"' in again.text
    sent = nurse.post(f"/patients/{world.patient_a}/record/scans/new", data={**typed, "modality": "ct"})
    assert sent.status_code == 303, sent.text
    story = nurse.get(f"{url}/timeline", params={"span": "all"}).json()
    assert [(s["target_sum_mm"], s["recist"]) for s in story["scans"]] == [(60, None), (41, "PR")]


def test_a_stored_scan_whose_lesions_are_not_the_baselines_cannot_be_assessed_and_the_pages_still_show(
        world, client_for, new_uow):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}"
    start_second_line(nurse, world, "Paclitaxel", 200)
    for days, lesions in ((210, "Liver: 40\nLung: 20"), (120, "Liver: 50\nLung: 25")):
        assert nurse.post(f"{url}/scans", json={"performed_on": ago(days), "modality": "ct", "target_lesions": lesions,
                                                "non_target": "none", "impression": "stable"}).status_code == 201
    with new_uow() as uow:  # as old data was saved, before lesions were checked against the baseline
        uow.records.add(world.patient_a, RECORD_KINDS["scans"],
                        Scan(performed_on=TODAY - timedelta(days=10), modality="ct",
                             target_lesions="liver segment 7: 30\nLung: 11", non_target="none"), uuid4())
        uow.commit()
    page = nurse.get(f"/patients/{world.patient_a}/timeline", params={"span": "all"})
    assert page.status_code == 200
    column = scan_column(page.text)
    assert column[0].startswith("cannot be assessed: liver segment 7 is not a target lesion of the baseline scan")
    assert column[1].startswith("PD: progression")  # the other scans are still read
    assert nurse.get(f"{url}/timeline", params={"span": "all"}).status_code == 200
    for client in (nurse, client_for(world.alice)):
        summary = client.get(f"/patients/{world.patient_a}/decision-summary")
        assert summary.status_code == 200
        assert "impression not recorded; RECIST 1.1: cannot be assessed: liver segment 7 is not a target lesion" \
            in unescape(summary.text)


# --- The timeline -----------------------------------------------------------------------------------------

def test_the_timeline_shows_markers_with_their_caveat_and_the_chosen_blood_tests(world, client_for):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}"
    for days, value in ((200, 30), (150, 22), (100, 28), (60, 35), (20, 44)):
        nurse.post(f"{url}/tumour-markers", json={"taken_on": ago(days), "marker": "ca15_3", "value": value})
    nurse.post(f"{url}/lab-results", json=lab("Platelets", 210, "10*9/L", 20))
    page = nurse.get(f"/patients/{world.patient_a}/timeline", params={"labs": "platelets"})
    assert page.status_code == 200
    assert "can rise for reasons other than cancer" in page.text
    assert "CA 15-3" in page.text and "<svg" in page.text
    assert "Platelets" in page.text
    story = nurse.get(f"{url}/timeline").json()
    segment = story["markers"][0]["periods"][-1]["trend"]["segments"][-1]
    assert segment["nadir"]["value"] == 22
    assert round(segment["change_from_nadir_percent"]) == 100
    assert segment["sustained_rise"] is True


def test_the_patient_sees_her_own_timeline_and_not_anothers(world, client_for):
    alice = client_for(world.alice)
    assert alice.get(f"/patients/{world.patient_a}/timeline").status_code == 200
    assert alice.get(f"/patients/{world.patient_b}/timeline").status_code in (403, 404)
    assert alice.get(f"/api/v1/patients/{world.patient_b}/timeline").status_code in (403, 404)


def test_a_new_line_of_treatment_starts_the_marker_trend_afresh(world, client_for):
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}"
    start_second_line(nurse, world, "Eribulin", 70)
    for days, value in ((200, 20), (150, 30), (100, 45), (75, 60), (40, 50), (10, 41)):
        nurse.post(f"{url}/tumour-markers", json={"taken_on": ago(days), "marker": "ca15_3", "value": value})
    marker = nurse.get(f"{url}/timeline").json()["markers"][0]
    first, current = marker["periods"][0]["trend"]["segments"][-1], marker["periods"][-1]["trend"]["segments"][-1]
    assert marker["periods"][-1]["label"] == "Line 2: Eribulin"
    assert first["sustained_rise"] is True
    assert (current["baseline"]["value"], current["nadir"]["value"]) == (60, 41)  # from the last result before it
    assert current["sustained_rise"] is False and current["doubling_time_days"] is None


def test_a_target_lesion_that_has_gone_is_recorded_as_0_mm_and_gives_a_complete_response(world, client_for):
    """A lesion that has disappeared is measured 0 mm (RECIST 1.1); refusing 0 made a complete
    response impossible to record."""
    nurse = client_for(world.nurse)
    url = f"/api/v1/patients/{world.patient_a}"
    start_second_line(nurse, world, "Paclitaxel", 200)
    for days, lesions, non_target in ((210, "Liver: 40\nLung: 20", "none"), (60, "Liver: 0\nLung: 0", "none")):
        response = nurse.post(f"{url}/scans", json={"performed_on": ago(days), "modality": "ct",
                                                    "target_lesions": lesions, "non_target": non_target,
                                                    "new_lesions": "no"})
        assert response.status_code == 201, response.text
    story = nurse.get(f"{url}/timeline", params={"span": "all"}).json()
    assert [(s["target_sum_mm"], s["recist"]) for s in story["scans"]] == [(60, None), (0, "CR")]
    refused = nurse.post(f"{url}/scans", json={"performed_on": ago(30), "modality": "ct", "target_lesions": "Liver: -2"})
    assert refused.status_code == 422 and refused.json()["field"] == "target_lesions"
