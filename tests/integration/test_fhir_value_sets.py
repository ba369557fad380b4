"""The demo export against the value sets that the mCODE STU4 package publishes (bindings and
value sets read from tests/fixtures/mcode/package, taken from hl7.fhir.us.mcode 4.0.0)."""

from __future__ import annotations

from pathlib import Path

from alongside.demo import create_demo
from alongside.domain.people import SYSTEM
from alongside.fhir import codes
from alongside.fhir.export import export_bundle
from alongside.fhir.valuesets import IN, NOT_CHECKABLE, NOT_IN, TEXT_ONLY, PackageValueSets

PACKAGE = Path(__file__).parents[1] / "fixtures" / "mcode" / "package"


def _demo_bundle(new_uow) -> dict:
    with new_uow() as uow:
        patient_id = create_demo(uow)
        uow.commit()
    with new_uow() as uow:
        return export_bundle(uow, SYSTEM, patient_id)


def test_every_profile_the_export_sets_is_one_the_package_publishes():
    package = PackageValueSets(PACKAGE)
    assert set(codes.PROFILE.values()) <= set(package.bindings)


def test_the_demo_export_has_no_coded_element_outside_the_packages_value_sets(new_uow):
    findings = PackageValueSets(PACKAGE).check_bundle(_demo_bundle(new_uow))
    assert [f for f in findings if f.verdict == NOT_IN] == []
    checked = [f for f in findings if f.verdict == IN]
    assert any(f.element == "Observation.code" and "16112-5" in f.detail for f in checked)  # ER, in TumorMarkerTestVS
    # Disorders and body sites are SNOMED CT "is-a" filters: said to be not checkable, never guessed.
    unexpandable = [f for f in findings if f.verdict == NOT_CHECKABLE]
    assert unexpandable and all("is-a" in f.detail or "descendent-of" in f.detail for f in unexpandable)
    # The operation is sent as text (docs/fhir.md): allowed by the extensible binding, and said.
    assert [f.element for f in findings if f.verdict == TEXT_ONLY] == ["Procedure.code"]
    assert {f.resource for f in findings} and all(f.resource.count("/") == 1 for f in findings)


def test_a_code_outside_an_enumerated_value_set_is_reported_on_its_resource():
    bundle = {"resourceType": "Bundle", "entry": [{"resource": {
        "resourceType": "Observation", "id": "m1", "meta": {"profile": [codes.PROFILE["tumor-marker-test"]]},
        "code": {"coding": [{"system": codes.LOINC, "code": "718-7"}]}}}]}  # haemoglobin is no tumour marker
    [finding] = PackageValueSets(PACKAGE).check_bundle(bundle)
    assert (finding.resource, finding.element, finding.verdict) == ("Observation/m1", "Observation.code", NOT_IN)
    assert finding.value_set.endswith("mcode-tumor-marker-test-vs") and finding.strength == "extensible"
