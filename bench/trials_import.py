"""`make bench`, trials import: a synthetic corpus (bench/trials_corpus.py) imported by
`alongside trials import` (streamed, batches of 100) against a naive baseline in the same run
(every study read into memory first, then one transaction per study). Each runs in a child
process of its own, so its memory peak (maximum resident set) is its own. SQLite, a new file
each. Writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import ROOT, machine, table, write_section  # noqa: E402
from trials_corpus import generate  # noqa: E402


def streamed(sessions, corpus: Path) -> int:
    from alongside.trials.importer import ImportLimits, import_path
    # The synthetic corpus of 100,000 expands past the default 2 GB refusal, as an operator's
    # `--max-expanded-mb` would allow: the limit is raised here, not in the product.
    return import_path(sessions, corpus, ImportLimits(max_expanded_bytes=64 * 1024**3)).added


def naive(sessions, corpus: Path) -> int:
    """The obvious first version: load everything, then one commit per study."""
    from alongside.store.unit_of_work import UnitOfWork
    from alongside.trials.eligibility_text import EXTRACTOR_VERSION, extract_criteria
    from alongside.trials.study import parse_study
    with zipfile.ZipFile(corpus) as archive:
        documents = [json.loads(archive.read(name)) for name in archive.namelist()]
    for document in documents:
        study = parse_study(document)
        with UnitOfWork(sessions) as uow:
            uow.trials.upsert(study, document, [c.model_dump(mode="json") for c in extract_criteria(study)],
                              EXTRACTOR_VERSION)
            uow.commit()
    return len(documents)


def child(mode: str, corpus: Path, database: Path) -> None:
    from alongside.store.database import make_engine, session_factory
    from alongside.store.migrate import upgrade
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    start = time.perf_counter()
    studies = {"streamed": streamed, "naive": naive}[mode](session_factory(engine), corpus)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"studies": studies, "seconds": seconds, "peak_mb": peak_mb}))


def measure(mode: str, corpus: Path, workdir: Path) -> dict:
    database = workdir / f"{mode}.db"
    output = subprocess.run([sys.executable, __file__, "--child", mode, "--corpus", str(corpus),
                             "--database", str(database)], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--studies", type=int, default=100_000)
    parser.add_argument("--baseline-studies", type=int, default=None,
                        help="studies for the naive baseline (default: the same; it holds them all in memory)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--child"), parser.add_argument("--corpus"), parser.add_argument("--database")
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.corpus), Path(args.database))
        return
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        corpus = generate(workdir / "corpus.zip", args.studies)
        baseline_corpus = corpus if not args.baseline_studies else generate(workdir / "base.zip", args.baseline_studies)
        size_mb = corpus.stat().st_size / 1024**2
        results = {"streamed": measure("streamed", corpus, workdir), "naive": measure("naive", baseline_corpus, workdir)}
    rows = [[mode, f"{r['studies']:,}", f"{r['seconds']:.1f}", f"{r['studies'] / r['seconds']:.0f}", f"{r['peak_mb']:.0f}"]
            for mode, r in results.items()]
    text = "\n".join([
        "## Trials import",
        "",
        f"Command: `.venv/bin/python bench/trials_import.py --studies {args.studies}"
        + (f" --baseline-studies {args.baseline_studies}" if args.baseline_studies else "")
        + f"` on {machine()['CPU']}, SQLite (a new file each, synchronous=FULL as shipped). Corpus: "
        f"{args.studies:,} studies varied from the 41 fixtures (bench/trials_corpus.py), a {size_mb:.0f} MB zip. "
        "Both include parsing and criteria extraction; *streamed* is `alongside trials import` "
        "(one study in memory at a time, transactions of 100), *naive* reads every study into memory "
        "first and commits each one. Peak memory is the child process's maximum resident set.",
        "",
        table(rows, ["import", "studies", "seconds", "studies/s", "peak MB"]),
        "",
        f"Load average (1 minute) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
    ])
    write_section(Path(args.out), "trials-import", text)
    print(text)


if __name__ == "__main__":
    main()
