"""Regenerate the CSV variant of the sample data from the BEIR variant.

The BEIR folder (``sample_data/beir/``) is the single source of truth. This
script rewrites ``sample_data/csv/`` from it so the two never drift apart:

* ``beir/corpus.jsonl``    -> ``csv/corpus.csv``  (doc_id, title, text)
* ``beir/queries.jsonl``   -> ``csv/queries.csv`` (query_id, text)
* ``beir/qrels/test.tsv``  -> ``csv/qrels.csv``   (query_id, doc_id, relevance)

Row order is preserved. Files are written as UTF-8 with LF line endings and
minimal quoting (fields containing commas or quotes are quoted by ``csv``).

Usage::

    python sample_data/build_csv.py [--beir DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_BEIR = HERE / "beir"
DEFAULT_OUT = HERE / "csv"


def read_jsonl(path: Path) -> Iterator[dict[str, str]]:
    """Yield one JSON object per non-empty line of ``path``."""
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{line_no}: invalid JSON ({exc})") from exc


def read_qrels(path: Path) -> Iterator[tuple[str, str, int]]:
    """Yield ``(query_id, doc_id, score)`` rows from a BEIR qrels TSV with header."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader, None)
        if header != ["query-id", "corpus-id", "score"]:
            raise ValueError(f"{path}: unexpected header {header!r}")
        for row in reader:
            if not row:
                continue
            query_id, doc_id, score = row
            yield query_id, doc_id, int(score)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write ``rows`` under ``header`` to ``path``; return the number of data rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def build(beir_dir: Path = DEFAULT_BEIR, out_dir: Path = DEFAULT_OUT) -> dict[str, int]:
    """Convert the BEIR folder ``beir_dir`` into CSV files under ``out_dir``.

    Returns the number of rows written per output file name.
    """
    counts = {
        "corpus.csv": write_csv(
            out_dir / "corpus.csv",
            ("doc_id", "title", "text"),
            ((d["_id"], d.get("title", ""), d["text"]) for d in read_jsonl(beir_dir / "corpus.jsonl")),
        ),
        "queries.csv": write_csv(
            out_dir / "queries.csv",
            ("query_id", "text"),
            ((q["_id"], q["text"]) for q in read_jsonl(beir_dir / "queries.jsonl")),
        ),
        "qrels.csv": write_csv(
            out_dir / "qrels.csv",
            ("query_id", "doc_id", "relevance"),
            read_qrels(beir_dir / "qrels" / "test.tsv"),
        ),
    }
    return counts


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beir", type=Path, default=DEFAULT_BEIR, help="BEIR input folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV output folder")
    args = parser.parse_args(argv)
    for name, rows in build(args.beir, args.out).items():
        print(f"wrote {args.out / name} ({rows} rows)")


if __name__ == "__main__":
    main()
