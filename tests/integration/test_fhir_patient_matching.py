"""A bundle's Patient is matched to an existing record only when she is the same person: an
identifier that matches with a name or birth date that does not is refused, naming both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alongside.domain.errors import Conflict, NotFound

from .test_fhir import _fixture, _import
from .test_transfer_and_cli import run_cli


def _patient(document: dict) -> dict:
    return next(e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Patient")


def _someone_else(document: dict, given: str = "Mary", family: str = "Jones", born: str = "1955-11-30") -> dict:
    """The same identifiers as Rose Example's, on another person (as another system may send)."""
    patient = _patient(document)
    patient["name"] = [{"given": [given], "family": family}]
    patient["birthDate"] = born
    return document


def _details_and_counts(new_uow, patient_id):
    with new_uow() as uow:
        patient = uow.patients.get(patient_id)
        entries = {slug: len(items) for slug, items in uow.records.everything(patient_id).items()}
    return patient.details, entries


def test_an_identifier_match_with_another_name_and_birth_date_is_refused_naming_both(new_uow, world):
    first = _import(new_uow, _fixture(), team_id=world.team_id)
    before = _details_and_counts(new_uow, first.patient_id)
    with pytest.raises(Conflict) as refused:
        _import(new_uow, _someone_else(_fixture()))
    message = refused.value.detail
    assert "Mary Jones, born 1955-11-30" in message and "Rose Example, born 1968-04-02" in message
    assert "MRN-004217" in message and str(first.patient_id) in message
    assert "the name and the birth date differ" in message
    assert _details_and_counts(new_uow, first.patient_id) == before  # nothing of Mary's went into Rose's record


@pytest.mark.parametrize("change, differs", [
    ({"born": "1968-04-03"}, "the birth date differs"),
    ({"given": "Ruth"}, "the name differs"),
    ({"family": "Sample"}, "the name differs"),
])
def test_a_name_or_birth_date_alone_that_disagrees_is_refused(new_uow, world, change, differs):
    _import(new_uow, _fixture(), team_id=world.team_id)
    person = {"given": "Rose", "family": "Example", "born": "1968-04-02", **change}
    with pytest.raises(Conflict, match=differs):
        _import(new_uow, _someone_else(_fixture(), **person))


def test_the_same_person_written_differently_is_matched_and_the_match_is_reported(new_uow, world):
    first = _import(new_uow, _fixture(), team_id=world.team_id)
    again = _import(new_uow, _someone_else(_fixture(), "  ROSE ", "example", "1968-04-02"))
    assert again.written and not again.errors, again.issues
    assert again.patient_id == first.patient_id
    summary = again.summary()
    assert f"Matched record {first.patient_id} (Rose Example, born 1968-04-02) on identifier MRN-004217" in summary
    assert first.matched is None and "Matched" not in first.summary()  # a new record matched nothing


def test_an_nhs_number_held_by_a_typed_record_matches_her_or_refuses_another_person(new_uow, world):
    # Alice Able was registered by her team (NHS number 9434765919); another system sends her.
    document = _fixture()
    patient = _patient(document)
    patient["identifier"] = [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}]
    with pytest.raises(Conflict) as refused:
        _import(new_uow, json.loads(json.dumps(document)))
    assert "NHS number 9434765919" in refused.value.detail and "Alice Able, born 1970-05-17" in refused.value.detail
    _someone_else(document, "Alice", "Able", "1970-05-17")
    report = _import(new_uow, document)
    assert report.written and report.patient_id == world.patient_a, report.issues
    assert "on NHS number 9434765919" in report.summary()
    with new_uow() as uow:
        assert uow.records.everything(world.patient_a, ["metastases"])["metastases"]


def test_an_nhs_number_that_contradicts_the_matched_record_is_refused(new_uow, world):
    _import(new_uow, _fixture(), team_id=world.team_id)
    document = _fixture()
    next(i for i in _patient(document)["identifier"] if "nhs" in i["system"])["value"] = "9434765919"
    with pytest.raises(Conflict, match="the NHS number differs"):
        _import(new_uow, document)


def test_naming_the_record_imports_into_it_and_keeps_her_name_and_birth_date(new_uow, world):
    first = _import(new_uow, _fixture(), team_id=world.team_id)
    report = _import(new_uow, _someone_else(_fixture()), patient_id=first.patient_id)
    assert report.written and not report.errors, report.issues
    assert "named by the importer" in report.summary()
    warning = next(i for i in report.issues if i.severity == "warning" and i.expression == "Patient")
    assert "Mary Jones" in warning.diagnostics and "keeps its name and birth date" in warning.diagnostics
    details, _ = _details_and_counts(new_uow, first.patient_id)
    assert (details.given_name, details.family_name, str(details.date_of_birth)) == ("Rose", "Example", "1968-04-02")


def test_a_stranger_whose_bundle_matches_a_record_she_may_not_see_learns_nothing_of_it(new_uow, world):
    from alongside.domain import accounts

    document = _fixture()
    _patient(document)["identifier"] = [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}]
    with new_uow() as uow:
        stranger = accounts.actor_for(uow.users.get(world.stranger.user_id))
    with pytest.raises(Exception) as refused:
        _import_as(new_uow, stranger, document)
    assert not isinstance(refused.value, Conflict)
    assert "Alice" not in str(getattr(refused.value, "errors", "")) + str(refused.value)
    first = _import(new_uow, _fixture(), team_id=world.team_id)
    with pytest.raises(NotFound):  # matched on the MRN: her record is authorised before it is compared
        _import_as(new_uow, stranger, _someone_else(_fixture()))
    assert _details_and_counts(new_uow, first.patient_id)[0].given_name == "Rose"


def _import_as(new_uow, actor, document):
    from alongside.fhir.importer import import_bundle

    with new_uow() as uow:
        report = import_bundle(uow, actor, document)
        if report.written:
            uow.commit()
    return report


def test_the_command_refuses_another_person_naming_both_and_takes_the_record_when_named(database_url, world,
                                                                                        tmp_path: Path):
    bundle = tmp_path / "rose.json"
    bundle.write_text(json.dumps(_fixture()))
    first = run_cli(database_url, "fhir", "import", str(bundle), "--team", "Imported")
    assert first.returncode == 0, first.stderr
    rose = json.loads(first.stdout)["issue"][-1]["diagnostics"].split("Imported into patient ")[1].split(":")[0]
    again = run_cli(database_url, "fhir", "import", str(bundle))
    assert again.returncode == 0 and f"Matched record {rose}" in again.stderr, again.stderr
    bundle.write_text(json.dumps(_someone_else(_fixture())))
    refused = run_cli(database_url, "fhir", "import", str(bundle))
    assert refused.returncode == 2
    issue = json.loads(refused.stdout)["issue"][0]
    assert issue["code"] == "conflict" and "Mary Jones" in issue["diagnostics"] and "Rose Example" in issue["diagnostics"]
    named = run_cli(database_url, "fhir", "import", str(bundle), "--patient", rose)
    assert named.returncode == 0, named.stdout + named.stderr
