"""Clinical trials: ClinicalTrials.gov import, eligibility extraction and matching.

An adapter around the care model: it reads the public registry's records, and matches them
to a person's facts through the pure rules in `alongside.clinical.trial_eligibility`.
"""
