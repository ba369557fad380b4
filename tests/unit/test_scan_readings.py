"""Scans read with RECIST 1.1 against their line's baseline (domain/results.py): lesions matched
by name, case and spacing aside; the baseline said to be one; a scan that cannot be compared
says why and never stops the others being read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from alongside.clinical.recist import Lesion
from alongside.domain.entries import Entry
from alongside.domain.errors import InvalidInput
from alongside.domain.records import Scan, TreatmentCourse
from alongside.domain.results import LesionMismatch, check_scan_lesions, matched_lesions, scan_readings

NOW = datetime(2026, 12, 1, tzinfo=UTC)
LINE_2 = TreatmentCourse(modality="chemotherapy", name="Capecitabine", line_of_treatment=2,
                         start_date=date(2026, 6, 1))


def entry(data) -> Entry:
    return Entry(uuid4(), uuid4(), "x", 1, data, NOW, NOW)


def scan(on: date, lesions: str | None, **more) -> Entry:
    return entry(Scan(performed_on=on, modality="ct", target_lesions=lesions, **more))


def test_lesions_named_with_another_case_or_spacing_are_the_same_lesions():
    base = [Lesion("Liver segment 6", False, 40), Lesion("Axillary node", True, 20)]
    now = [Lesion("liver  SEGMENT 6 ", False, 30), Lesion("axillary node", True, 9)]
    assert matched_lesions(base, now, date(2026, 5, 1)) == [Lesion("Liver segment 6", False, 30),
                                                            Lesion("Axillary node", True, 9)]


def test_a_lesion_that_is_not_the_baselines_is_named():
    base = [Lesion("Liver segment 6", False, 40)]
    with pytest.raises(LesionMismatch, match="Liver segment 7 is not a target lesion of the baseline scan of 1 May 2026"):
        matched_lesions(base, [Lesion("Liver segment 7", False, 30)], date(2026, 5, 1))


def test_a_baseline_lesion_left_out_is_not_measured():
    base = [Lesion("Liver", False, 40), Lesion("Lung", False, 20)]
    assert matched_lesions(base, [Lesion("liver", False, 30)], date(2026, 5, 1)) == [
        Lesion("Liver", False, 30), Lesion("Lung", False, None)]


def test_the_baseline_scan_says_baseline_and_a_follow_up_differing_in_case_is_assessed():
    readings = scan_readings([scan(date(2026, 5, 20), "Liver: 40\nLung: 20"),
                              scan(date(2026, 8, 20), "LIVER: 20\nlung : 10", non_target="none", new_lesions="no")],
                             [entry(LINE_2)])
    assert [r.recist_words for r in readings] == ["baseline for line 2", "PR"]


def test_a_stored_scan_with_other_lesions_cannot_be_assessed_and_the_next_scan_still_is():
    readings = scan_readings([scan(date(2026, 5, 20), "Liver: 40\nLung: 20"),
                              scan(date(2026, 8, 20), "Spleen: 10\nLung: 20", non_target="none"),
                              scan(date(2026, 11, 30), "Liver: 50\nLung: 25", non_target="none")],
                             [entry(LINE_2)])
    assert readings[1].recist is None
    assert readings[1].recist_words.startswith("cannot be assessed: Spleen is not a target lesion")
    assert readings[2].recist == "PD"  # 75 mm against a nadir of 60 mm: the unreadable scan is no nadir


def test_a_scan_not_measured_says_so():
    reading, = scan_readings([scan(date(2026, 8, 20), None, impression="stable")], [entry(LINE_2)])
    assert reading.recist_words == "not measured"


def test_saving_a_scan_with_a_lesion_not_the_baselines_is_refused_naming_the_field():
    baseline = scan(date(2026, 5, 20), "Liver segment 6: 40")
    with pytest.raises(InvalidInput) as caught:
        check_scan_lesions(Scan(performed_on=date(2026, 8, 20), modality="ct", target_lesions="Liver segment 7: 30"),
                           [baseline], [entry(LINE_2)], None)
    assert caught.value.field == "target_lesions"
    assert "Liver segment 6" in caught.value.detail and "record that line first" in caught.value.detail


def test_saving_a_scan_differing_only_in_case_and_spacing_is_accepted():
    check_scan_lesions(Scan(performed_on=date(2026, 8, 20), modality="ct", target_lesions="liver  SEGMENT 6: 30"),
                       [scan(date(2026, 5, 20), "Liver segment 6: 40")], [entry(LINE_2)], None)


def test_after_a_line_has_stopped_a_scan_may_measure_new_lesions_as_the_next_baseline():
    stopped = LINE_2.model_copy(update={"end_date": date(2026, 10, 1)})
    check_scan_lesions(Scan(performed_on=date(2026, 10, 15), modality="ct", target_lesions="Spleen: 30"),
                       [scan(date(2026, 5, 20), "Liver segment 6: 40")], [entry(stopped)], None)


def test_a_scan_during_a_line_that_is_the_next_lines_baseline_may_measure_new_lesions():
    """Progression found on a scan during line 2 becomes the baseline of line 3, with new targets."""
    stopped = LINE_2.model_copy(update={"end_date": date(2026, 10, 31)})
    line_3 = TreatmentCourse(modality="chemotherapy", name="Eribulin", line_of_treatment=3, start_date=date(2026, 11, 1))
    check_scan_lesions(Scan(performed_on=date(2026, 10, 20), modality="ct", target_lesions="Spleen: 30"),
                       [scan(date(2026, 5, 20), "Liver segment 6: 40")], [entry(stopped), entry(line_3)], None)
    with pytest.raises(InvalidInput):  # without line 3 recorded it is a follow-up of line 2
        check_scan_lesions(Scan(performed_on=date(2026, 10, 20), modality="ct", target_lesions="Spleen: 30"),
                           [scan(date(2026, 5, 20), "Liver segment 6: 40")], [entry(stopped)], None)
