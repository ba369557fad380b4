"""Tumour markers and scans as tables (issue 16 item 2): newest first, one table per marker, paged;
a result above the laboratory's normal range, the repeat test confirming a rise (clinical/markers.py)
and a scan read as progressing are said in words; results she waits to hear about are absent from
her pages, counts and hints included, and present for her nurse."""

from __future__ import annotations

import re
from html import unescape

from .test_pages import page_sign_in
from .test_result_sharing import choose


def _rows(html: str, heading: str | None = None) -> list[str]:
    if heading:
        html = re.search(rf'<h2 id="test-[^"]+">{heading}</h2>(.*?)</section>', html, re.S).group(1)
    else:
        html = html.split("<main", 1)[1]
    return [unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip())
            for row in re.findall(r"<tr class=[^>]*>(.*?)</tr>", html, re.S)]


def _add(client, patient, slug, **result) -> str:
    response = client.post(f"/api/v1/patients/{patient}/{slug}", json=result)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _signed_in(make_client, user):
    client = make_client()
    page_sign_in(client, user)
    return client


def test_each_marker_is_a_table_newest_first_with_high_results_and_a_confirmed_rise_said(make_client, as_user, world):
    nurse = as_user(world.nurse)
    for day, value in (("2026-06-01", 40), ("2026-07-01", 20), ("2026-08-01", 30), ("2026-08-29", 31)):
        _add(nurse, world.patient_a, "tumour-markers", taken_on=day, marker="ca15_3", value=value, unit="U/mL",
             reference_high=30)
    _add(nurse, world.patient_a, "tumour-markers", taken_on="2026-08-01", marker="cea", value=2.5, unit="ng/mL")
    html = _signed_in(make_client, world.alice).get(f"/patients/{world.patient_a}/record/tumour-markers").text
    ca15_3 = _rows(html, "CA 15-3")
    # 31 on 29 Aug repeats the rise of 30 on 1 Aug (50% over the low of 20, 28 days later): confirmed.
    assert ca15_3 == [
        "29 August 2026 31 normal up to 30 A rise confirmed by this repeat test (25% or more above its lowest); "
        "Above the normal range",
        "1 August 2026 30 normal up to 30 Within the normal range",
        "1 July 2026 20 normal up to 30 Within the normal range",
        "1 June 2026 40 normal up to 30 Above the normal range"]
    assert _rows(html, "CEA") == ["1 August 2026 2.5 No normal range given"]  # kept in ug/L, the same number
    assert '<tr class="rise"' in html and '<tr class="outside"' in html
    assert "Reading tumour markers:" in html and "never used on their own" in html  # the caveat beside them
    assert 'role="region" aria-label="CA 15-3 results"' in html and "<caption" in html
    assert "/edit" not in html  # she is not offered changes


def test_one_marker_pages_through_its_results_and_a_page_past_the_last_shows_the_last(make_client, as_user, world):
    nurse = as_user(world.nurse)
    for day in range(1, 31):
        _add(nurse, world.patient_a, "tumour-markers", taken_on=f"2026-08-{day:02d}", marker="cea", value=day)
    _add(nurse, world.patient_a, "tumour-markers", taken_on="2026-08-01", marker="ca15_3", value=12)
    client = _signed_in(make_client, world.nurse)
    page = f"/patients/{world.patient_a}/record/tumour-markers"
    everything = client.get(page).text
    assert len(_rows(everything, "CEA")) == 5 and "All 30 CEA results" in everything
    first = client.get(page + "?test=cea").text
    assert "CA 15-3</h2>" not in first and "Page 1 of 2" in first and "Older results" in first
    rows = _rows(first, "CEA")
    assert len(rows) == 25 and rows[0].startswith("30 August 2026 30") and rows[-1].startswith("6 August 2026")
    second = client.get(page + "?test=cea&page=2").text
    assert [r.split(" 2026")[0] for r in _rows(second, "CEA")] == [f"{d} August" for d in (5, 4, 3, 2, 1)]
    assert "Page 2 of 2" in second and "Newer results" in second and "Change" in second
    for beyond in ("99", "0", "-1", "two"):
        response = client.get(page + f"?test=cea&page={beyond}")
        assert response.status_code == 200
        assert len(_rows(response.text, "CEA")) in (5, 25)  # the last page, or the first: never an empty table


def test_scans_are_one_table_newest_first_with_progression_said_and_paged(make_client, as_user, world):
    nurse = as_user(world.nurse)
    _add(nurse, world.patient_a, "scans", performed_on="2026-05-01", modality="ct", body_area="Chest",
         impression="stable")
    _add(nurse, world.patient_a, "scans", performed_on="2026-09-01", modality="mri", body_area="Spine",
         impression="progressing", new_lesions="yes")
    html = _signed_in(make_client, world.alice).get(f"/patients/{world.patient_a}/record/scans").text
    rows = _rows(html)
    assert rows[0] == ("1 September 2026 MRI scan Spine New lesions seen; Growing or spreading, in the radiologist's "
                       "impression Impression: Progressing (growing or spreading) RECIST 1.1: not measured")
    assert rows[1] == "1 May 2026 CT scan Chest Impression: Stable RECIST 1.1: not measured"
    assert '<tr class="progressing"' in html and 'role="region" aria-label="Scans"' in html and "/edit" not in html
    for day in range(1, 27):
        _add(nurse, world.patient_a, "scans", performed_on=f"2026-07-{day:02d}", modality="xray")
    client = _signed_in(make_client, world.nurse)
    first = client.get(f"/patients/{world.patient_a}/record/scans").text
    assert len(_rows(first)) == 25 and "Page 1 of 2" in first and _rows(first)[0].startswith("1 September 2026")
    second = client.get(f"/patients/{world.patient_a}/record/scans?page=2").text
    assert [r.split(" 2026")[0] for r in _rows(second)] == ["2 July", "1 July", "1 May"]
    assert _rows(client.get(f"/patients/{world.patient_a}/record/scans?page=7").text) == _rows(second)


def test_a_measured_scan_reads_its_recist_response_in_words(make_client, as_user, world):
    nurse = as_user(world.nurse)
    # The world's Alice is on line 1 (anastrozole) since 1 Mar 2024: this scan is its baseline.
    _add(nurse, world.patient_a, "scans", performed_on="2024-02-20", modality="ct", target_lesions="Liver: 20")
    _add(nurse, world.patient_a, "scans", performed_on="2026-06-01", modality="ct", target_lesions="Liver: 30")
    rows = _rows(_signed_in(make_client, world.nurse).get(f"/patients/{world.patient_a}/record/scans").text)
    assert rows[0].startswith("1 June 2026 CT scan Progression by RECIST 1.1")
    assert "RECIST 1.1: PD: progression (lesions add up to 30 mm)" in rows[0]
    assert "RECIST 1.1: baseline for line 1 (lesions add up to 20 mm)" in rows[1]


def test_markers_and_scans_she_waits_for_are_absent_for_her_and_marked_held_for_her_nurse(make_client, as_user, world):
    patient = _signed_in(make_client, world.alice)
    assert choose(patient, world.patient_a, scans="after_discussion",
                  tumour_markers="after_discussion").status_code == 303
    nurse_api = as_user(world.nurse)
    marker = _add(nurse_api, world.patient_a, "tumour-markers", taken_on="2026-10-01", marker="ca15_3", value=91,
                  reference_high=30)
    scan = _add(nurse_api, world.patient_a, "scans", performed_on="2026-10-02", modality="ct",
                body_area="Zebrafinch region", impression="progressing")
    for page, words in (("tumour-markers", "CA 15-3"), ("scans", "Zebrafinch")):
        html = patient.get(f"/patients/{world.patient_a}/record/{page}").text
        assert words not in html.split("<main", 1)[1] and "not yet shown" not in html  # nor a count of them
        assert "Nothing recorded yet." in html and "shown here when you have chosen to see them" in html
    nurse = _signed_in(make_client, world.nurse)
    markers = nurse.get(f"/patients/{world.patient_a}/record/tumour-markers").text
    assert _rows(markers, "CA 15-3")[0].startswith("1 October 2026 91 normal up to 30 Above the normal range")
    assert "1 of these is not yet shown to Alice" in markers and f"/tumour-markers/{marker}/discussed" in markers
    scans = nurse.get(f"/patients/{world.patient_a}/record/scans").text
    assert "Zebrafinch region" in scans and f"/scans/{scan}/discussed" in scans
    csrf = nurse.get("/api/v1/me").json()["csrf_token"]
    assert nurse.post(f"/patients/{world.patient_a}/record/scans/{scan}/discussed",
                      data={"csrf_token": csrf}).status_code == 303
    assert "Zebrafinch region" in patient.get(f"/patients/{world.patient_a}/record/scans").text


def test_another_patients_markers_and_scans_are_refused(make_client, world):
    client = _signed_in(make_client, world.alice)
    for page in ("tumour-markers", "scans"):
        response = client.get(f"/patients/{world.patient_b}/record/{page}")
        assert response.status_code in (403, 404) and "<table" not in response.text


def test_the_timeline_draws_its_tables_with_the_same_marks(make_client, as_user, world):
    nurse = as_user(world.nurse)
    _add(nurse, world.patient_a, "tumour-markers", taken_on="2026-10-01", marker="cea", value=9, reference_high=5)
    _add(nurse, world.patient_a, "scans", performed_on="2026-10-02", modality="ct", impression="progressing")
    _add(nurse, world.patient_a, "lab-results", taken_on="2026-10-01", test="Haemoglobin", value=78, unit="g/L",
         reference_low=115, reference_high=165)
    html = _signed_in(make_client, world.nurse).get(f"/patients/{world.patient_a}/timeline?span=all").text
    rows = _rows(html)
    assert "1 October 2026 9 normal up to 5 Above the normal range" in rows
    assert "1 October 2026 78 normal 115 to 165 Grade 3: anaemia" in rows
    assert any(r.startswith("2 October 2026 CT scan Growing or spreading") for r in rows)
    assert "table-frame" not in html and html.count('class="table-wrap"') >= 3
