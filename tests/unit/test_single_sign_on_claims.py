"""Which role and teams a provider's claims give (domain/single_sign_on.py), case by case, in the
shapes the providers named in docs/admin-guide.md send them."""

from __future__ import annotations

from uuid import uuid4

import pytest

from alongside.domain.people import Team
from alongside.domain.single_sign_on import ClaimMapping, SignInRefused, mapped_role, mapped_teams, team_slug
from alongside.domain.vocab import Role

BREAST = Team(uuid4(), "Secondary Breast Care")
ONCOLOGY = Team(uuid4(), "Acute Oncology, St Elsewhere")
TEAMS = [BREAST, ONCOLOGY]
DEFAULT = ClaimMapping()


@pytest.mark.parametrize("name, slug", [
    ("Secondary Breast Care", "secondary-breast-care"),
    ("Acute Oncology, St Elsewhere", "acute-oncology-st-elsewhere"),
    ("  Ward 7 / Day Unit  ", "ward-7-day-unit"),
])
def test_a_team_slug_is_its_name_in_lower_case_words_joined_by_hyphens(name, slug):
    assert team_slug(name) == slug


def test_a_group_with_the_prefix_and_a_teams_slug_names_that_team():
    claims = {"groups": ["alongside-team-secondary-breast-care", "alongside-clinician", "all-staff"]}
    assert mapped_teams(claims, DEFAULT, TEAMS) == [BREAST]
    assert mapped_role(claims, DEFAULT) is Role.CLINICIAN


def test_groups_naming_no_existing_team_name_none_and_make_none():
    claims = {"groups": ["alongside-team-paediatrics", "secondary-breast-care"]}  # unknown team; no prefix
    assert mapped_teams(claims, DEFAULT, TEAMS) == []


def test_a_single_string_claim_counts_like_a_list_of_one():
    assert mapped_role({"groups": "alongside-clinician"}, DEFAULT) is Role.CLINICIAN


@pytest.mark.parametrize("claims", [{}, {"groups": []}, {"groups": ["all-staff"]}, {"groups": 7}, {"roles": ["alongside-clinician"]}])
def test_no_staff_value_in_the_role_claim_is_refused(claims):
    with pytest.raises(SignInRefused) as refused:
        mapped_role(claims, DEFAULT)
    assert refused.value.reason == "no-role"


def test_no_claim_makes_an_administrator_unless_the_service_names_the_values():
    claims = {"groups": ["alongside-admin", "alongside-clinician"]}
    assert mapped_role(claims, DEFAULT) is Role.CLINICIAN
    assert mapped_role(claims, ClaimMapping(admin_values=("alongside-admin",))) is Role.ADMIN


@pytest.mark.parametrize("value", ["patient", "carer", "admin", "Patient"])
def test_no_claim_value_makes_a_patient_or_carer(value):
    with pytest.raises(SignInRefused):
        mapped_role({"groups": [value]}, ClaimMapping(clinician_values=("alongside-clinician",)))


def test_entra_id_app_roles_in_the_roles_claim():
    mapping = ClaimMapping(role_claim="roles", team_claim="roles")
    claims = {"roles": ["alongside-clinician", "alongside-team-acute-oncology-st-elsewhere"]}
    assert (mapped_role(claims, mapping), mapped_teams(claims, mapping, TEAMS)) == (Role.CLINICIAN, [ONCOLOGY])


def test_nhs_cis2_roles_and_workgroups_reached_by_dotted_names():
    """CIS2 sends a list of role objects from UserInfo; workgroups are free text set by the trust."""
    mapping = ClaimMapping(role_claim="nhsid_nrbac_roles.role_code", clinician_values=("S8000:G8000:R8000",),
                           team_claim="nhsid_nrbac_roles.workgroups", team_prefix="")
    claims = {"nhsid_nrbac_roles": [
        {"org_code": "RXX", "role_code": "S8000:G8000:R8000", "workgroups": ["Secondary Breast Care"]},
        {"org_code": "RYY", "role_code": "S8000:G8001:R8001", "workgroups": []},
    ]}
    assert mapped_role(claims, mapping) is Role.CLINICIAN
    assert mapped_teams(claims, mapping, TEAMS) == [BREAST]


# --- The settings, read from the environment (web/settings.py) ---------------------------------

def test_single_sign_on_is_off_without_an_issuer(monkeypatch):
    from alongside.web.settings import SingleSignOnSettings
    monkeypatch.delenv("ALONGSIDE_OIDC_ISSUER", raising=False)
    assert SingleSignOnSettings.from_environment() is None


def test_the_settings_read_the_mapping_from_the_environment(monkeypatch):
    from alongside.web.settings import SingleSignOnSettings
    for name, value in {"ISSUER": "https://login.microsoftonline.com/tenant/v2.0/", "CLIENT_ID": "id",
                        "CLIENT_SECRET": "secret", "ROLE_CLAIM": "roles", "TEAM_CLAIM": "roles",
                        "CLINICIAN_VALUES": "nurse, doctor", "ADMIN_VALUES": "it-admin",
                        "CREATE_ACCOUNTS": "false", "SCOPES": "openid,email"}.items():
        monkeypatch.setenv(f"ALONGSIDE_OIDC_{name}", value)
    settings = SingleSignOnSettings.from_environment()
    assert settings.issuer == "https://login.microsoftonline.com/tenant/v2.0"  # as discovery gives it, no slash
    assert settings.scopes == ("openid", "email")
    assert settings.mapping == ClaimMapping(team_claim="roles", role_claim="roles", clinician_values=("nurse", "doctor"),
                                            admin_values=("it-admin",), create_accounts=False)


@pytest.mark.parametrize("issuer, missing", [("http://login.hospital.example", ""), ("https://login.hospital.example", "CLIENT_SECRET")])
def test_a_plain_http_issuer_or_a_missing_secret_stops_the_start(monkeypatch, issuer, missing):
    from alongside.web.settings import SingleSignOnSettings
    monkeypatch.setenv("ALONGSIDE_OIDC_ISSUER", issuer)
    monkeypatch.setenv("ALONGSIDE_OIDC_CLIENT_ID", "id")
    monkeypatch.setenv("ALONGSIDE_OIDC_CLIENT_SECRET", "secret")
    if missing:
        monkeypatch.delenv(f"ALONGSIDE_OIDC_{missing}")
    with pytest.raises(ValueError):
        SingleSignOnSettings.from_environment()
