"""`alongside trials match --profile FILE` and `alongside trials evaluate CASES.json`: the matcher
on its own, without a record, for a person or a research team; and its measured quality."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import BaseModel, ValidationError

from alongside.clinical.trial_eligibility import Outcome, Profile

from .eligibility_text import EXTRACTOR_VERSION, is_breast_cancer
from .evaluate import Case, EvaluationFile, Report, score
from .importer import ImportRefused, open_sources
from .matcher import TrialMatch, home_of, match, rank
from .study import Study, StudyFormatError, load_study

M = TypeVar("M", bound=BaseModel)
_VERDICT_WORDS = {"likely_eligible": "Likely eligible", "possibly_eligible": "Possibly eligible",
                  "not_eligible": "Not eligible"}
_OUTCOME_WORDS = {Outcome.met: "Met", Outcome.not_met: "Not met", Outcome.unknown: "Not known from the record"}


def register(app: typer.Typer) -> None:
    """Add this module's commands to `alongside trials`."""
    app.command("match")(match_command)
    app.command("evaluate")(evaluate_command)


def match_command(
        profile_path: Path = typer.Option(..., "--profile", help="A profile JSON file (docs/trials.md)"),
        studies: Path | None = typer.Option(None, "--studies", help="Study files (a directory or zip) instead of the database"),
        as_json: bool = typer.Option(False, "--json", help="Print the matches as JSON"),
) -> None:
    """Match one profile against every study: the verdict and the reasons, criterion by criterion."""
    profile = _load(Profile, profile_path)
    matches = rank([match(profile, study, criteria) for study, criteria in _studies(studies, profile)],
                   home_of(profile.town, profile.country))
    if as_json:
        typer.echo(json.dumps({"matches": [m.as_json() for m in matches]}, indent=2, ensure_ascii=False))
        return
    recruiting = [m for m in matches if m.recruiting]
    others = [m for m in matches if not m.recruiting]
    typer.echo(f"{len(matches)} trials: {sum(m.verdict == 'likely_eligible' for m in matches)} likely, "
               f"{sum(m.verdict == 'possibly_eligible' for m in matches)} possibly, "
               f"{sum(m.verdict == 'not_eligible' for m in matches)} not eligible.")
    for heading, group in (("Recruiting", recruiting), ("Not recruiting (shown apart)", others)):
        if group:
            typer.echo(f"\n== {heading} ==")
            for m in group:
                typer.echo(_describe(m))


def _describe(m: TrialMatch) -> str:
    lines = [f"\n{m.nct_id}  {_VERDICT_WORDS[m.verdict]}  ({m.status.replace('_', ' ').lower()}) {m.title}"]
    if m.nearest_site is not None:
        lines.append(f"  Nearest site: {m.nearest_site.facility or ''}, {m.nearest_site.city}, {m.nearest_site.country}"
                     f" ({m.distance_km:.0f} km)")
    for outcome in (Outcome.not_met, Outcome.unknown, Outcome.met):
        for r in m.outcomes(outcome):
            fact = f" [{r.fact}]" if r.fact else ""
            lines.append(f"  {_OUTCOME_WORDS[outcome]}: {r.criterion.kind.value}{fact}\n      \"{r.criterion.sentence}\"")
    if m.questions:
        lines.append("  Things to ask your team:")
        lines.extend(f"    - {q}" for q in m.questions)
    if m.team_checks:
        lines.append(f"  The team will check {len(m.team_checks)} other criteria (tests, organ function, consent...).")
    return "\n".join(lines)


def evaluate_command(
        cases_path: Path = typer.Argument(..., help="The evaluation file (docs/trials.md)"),
        studies: Path | None = typer.Option(None, "--studies", help="Study files (a directory or zip) instead of the database"),
        as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON"),
        breast_only: bool = typer.Option(False, "--breast-only",
                                         help="Only the cases of breast cancer studies (the others are easy 'not eligible on condition')"),
) -> None:
    """Precision and recall of 'not eligible' and 'likely eligible' against hand-made labels."""
    cases_file = _load(EvaluationFile, cases_path)
    if problems := cases_file.check_references():
        _fail(cases_path, problems)
    wanted = {e.nct_id for e in cases_file.expected}
    by_id = {study.nct_id: (study, criteria) for study, criteria in _studies(studies, None) if study.nct_id in wanted}
    if missing := sorted(wanted - by_id.keys()):
        _fail(cases_path, [f"expected: no study {n} among the studies read" for n in missing])
    profiles = {p.id: p.profile for p in cases_file.patients}
    expected = [e for e in cases_file.expected if not breast_only or is_breast_cancer(by_id[e.nct_id][0])]
    report = score([Case(e, match(profiles[e.patient], *by_id[e.nct_id])) for e in expected])
    if as_json:
        typer.echo(json.dumps({**_report_json(report), "breast_only": breast_only}, indent=2))
    else:
        typer.echo(("Breast cancer studies only. " if breast_only else "") + _report_text(report))


def _report_text(report: Report) -> str:
    lines = [f"{report.cases} cases, verdicts agree on {report.agreement:.1%}.", "",
             f"{'':28}{'not eligible':>26}{'likely eligible':>26}",
             f"{'':28}{'precision':>13}{'recall':>13}{'precision':>13}{'recall':>13}"]
    rows = [("overall", report.overall), *sorted(report.per_kind.items())]
    for name, scores in rows:
        cells = [_figure(s) for v in scores for s in (scores[v].precision, scores[v].recall)]
        lines.append(f"{name:28}" + "".join(f"{c:>13}" for c in cells))
    ne = report.overall["not_eligible"]
    lines += ["", f"not eligible: {ne.agreed} agreed of {ne.predicted} predicted and {ne.expected} expected; "
                  f"targets precision >= 0.95, recall >= 0.80: {'met' if report.meets_targets else 'NOT met'}"]
    if report.disagreements:
        lines += ["", f"Disagreements ({len(report.disagreements)}):"]
        for d in report.disagreements:
            lines.append(f"  {d.patient} / {d.nct_id}: expected {d.expected.value} ({', '.join(d.expected_deciding) or '-'}), "
                         f"got {d.got.value} ({', '.join(d.got_deciding) or '-'})" + (f"  note: {d.note}" if d.note else ""))
    return "\n".join(lines)


def _report_json(report: Report) -> dict:
    def scores(by: dict) -> dict:
        return {v.value: vars(s) for v, s in by.items()}
    return {"cases": report.cases, "agreement": report.agreement, "meets_targets": report.meets_targets,
            "overall": scores(report.overall), "per_kind": {k: scores(v) for k, v in report.per_kind.items()},
            "disagreements": [{**vars(d), "expected": d.expected.value, "got": d.got.value} for d in report.disagreements]}


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _load(model: type[M], path: Path) -> M:
    try:
        return model.model_validate_json(path.read_bytes())
    except OSError as error:
        _fail(path, [str(error)])
    except ValidationError as error:
        _fail(path, [f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in error.errors()])


def _fail(path: Path, problems: list[str]) -> None:
    typer.echo(f"{path}: refused", err=True)
    for problem in problems:
        typer.echo(f"  {problem}", err=True)
    raise typer.Exit(2)


def _studies(path: Path | None, profile: Profile | None) -> Iterator[tuple[Study, list | None]]:
    """Studies with any cached criteria: read from files, or from the database pre-filtered."""
    if path is not None:
        yield from _studies_from_files(path)
        return
    from ..store.database import make_engine, session_factory
    from ..store.trial_repository import TrialRepository
    from alongside.clinical.trial_eligibility import Criterion
    engine = make_engine()
    try:
        with session_factory(engine)() as session:
            candidates = TrialRepository(session).candidates(
                sex=profile.sex if profile else None, age=profile.age if profile else None,
                breast_only=profile is not None, extractor_version=EXTRACTOR_VERSION)
            for study, cached in candidates:
                yield study, [Criterion.model_validate(c) for c in cached] if cached is not None else None
    finally:
        engine.dispose()


def _studies_from_files(path: Path) -> Iterator[tuple[Study, None]]:
    try:
        sources = open_sources(path)
    except ImportRefused as error:
        _fail(path, [str(error)])
    for source in sources.items:
        try:
            yield load_study(source.read()), None
        except (StudyFormatError, ValueError, ImportRefused) as error:
            typer.echo(f"{source.name}: skipped: {error}", err=True)
