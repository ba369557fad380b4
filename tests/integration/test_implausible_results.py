"""Issue 13 item 8, through the HTTP app and the database: tumour markers and scans have plausible
ranges like blood tests, refused naming the field; and a value stored before that rule (1e308,
infinity, a negative number) no longer breaks the clinic summary PDF, the timeline or its charts."""

from __future__ import annotations

import math
from datetime import timedelta
from io import BytesIO
from uuid import uuid4

import pytest
from pypdf import PdfReader

from alongside.domain.records import RECORD_KINDS, LabResult, TumourMarkerResult
from alongside.domain.vocab import TumourMarker

from .conftest import NOW
from .test_result_units import problem_fields

TODAY = NOW.date()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


@pytest.mark.parametrize(("marker", "value", "unit"), [
    ("ca15_3", 1e308, None), ("ca15_3", 2_000_000, "U/mL"), ("ca27_29", 5e6, "kU/L"),
    ("cea", 1e308, None), ("cea", 2_000_000, "ng/mL"), ("ca15_3", -1, None),
])
def test_an_implausible_tumour_marker_is_refused_naming_value(world, client_for, marker, value, unit):
    nurse = client_for(world.nurse)
    body = {"taken_on": ago(2), "marker": marker, "value": value} | ({"unit": unit} if unit else {})
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/tumour-markers", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "value" in problem_fields(response), response.json()


def test_an_infinite_tumour_marker_is_refused_naming_value(world, client_for):
    nurse = client_for(world.nurse)  # 1e999 is JSON, and Python reads it as infinity
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/tumour-markers",
                          content=f'{{"taken_on": "{ago(2)}", "marker": "cea", "value": 1e999}}',
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert "value" in problem_fields(response)


@pytest.mark.parametrize(("marker", "value"), [("ca15_3", 25_000), ("cea", 50_000), ("ca27_29", 0)])
def test_a_very_high_but_reported_tumour_marker_is_kept(world, client_for, marker, value):
    nurse = client_for(world.nurse)
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/tumour-markers",
                          json={"taken_on": ago(2), "marker": marker, "value": value})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("lesions", ["Liver: 501", "Liver: 23\nLung: 9999"])
def test_an_implausible_lesion_size_is_refused_naming_target_lesions(world, client_for, lesions):
    nurse = client_for(world.nurse)
    response = nurse.post(f"/api/v1/patients/{world.patient_a}/scans",
                          json={"performed_on": ago(2), "modality": "ct", "target_lesions": lesions})
    assert response.status_code == 422, response.text
    assert "target_lesions" in problem_fields(response)


def _store_marker(new_uow, patient_id, value: float, days: int, marker=TumourMarker.CA15_3) -> None:
    """As an entry saved before the plausible ranges were: straight into the store, unchecked."""
    model = TumourMarkerResult.model_construct(taken_on=TODAY - timedelta(days=days), marker=marker, value=value,
                                               unit="U/mL" if marker is not TumourMarker.CEA else "ug/L",
                                               laboratory=None, assay=None)
    with new_uow() as uow:
        uow.records.add(patient_id, RECORD_KINDS["tumour-markers"], model, uuid4())
        uow.commit()


def _store_lab(new_uow, patient_id, value: float, days: int) -> None:
    model = LabResult.model_construct(taken_on=TODAY - timedelta(days=days), test="Neutrophils", loinc=None,
                                      value=value, unit="10*9/L", reference_low=2.0, reference_high=7.5,
                                      laboratory=None)
    with new_uow() as uow:
        uow.records.add(patient_id, RECORD_KINDS["lab-results"], model, uuid4())
        uow.commit()


@pytest.mark.parametrize("absurd", [1e308, math.inf, -5.0, -1e308], ids=["1e308", "inf", "negative", "-1e308"])
def test_a_stored_absurd_value_leaves_the_summary_pdf_and_the_charts_whole(world, client_for, new_uow, absurd):
    for days, value in ((60, 30.0), (30, absurd), (5, 42.0)):
        _store_marker(new_uow, world.patient_a, value, days)
        _store_marker(new_uow, world.patient_a, value, days, TumourMarker.CEA)
    _store_lab(new_uow, world.patient_a, absurd, 10)
    nurse = client_for(world.nurse)
    pdf = nurse.get(f"/patients/{world.patient_a}/clinic-summary.pdf")
    assert pdf.status_code == 200, pdf.text[:500]
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert "Tumour markers" in text and "off the scale" in text
    page = nurse.get(f"/patients/{world.patient_a}/timeline", params={"span": "all"})
    assert page.status_code == 200, page.text[:500]
    assert "off the scale" in page.text
    assert nurse.get(f"/api/v1/patients/{world.patient_a}/timeline", params={"span": "all"}).status_code == 200
    assert nurse.get(f"/api/v1/patients/{world.patient_a}/tumour-markers").status_code == 200


def test_a_marker_with_only_absurd_stored_values_still_shows_its_pages(world, client_for, new_uow):
    _store_marker(new_uow, world.patient_a, 1e308, 20)
    nurse = client_for(world.nurse)
    page = nurse.get(f"/patients/{world.patient_a}/timeline", params={"span": "all"})
    assert page.status_code == 200, page.text[:500]
    assert "off the scale" in page.text
    assert nurse.get(f"/patients/{world.patient_a}/clinic-summary.pdf").status_code == 200
