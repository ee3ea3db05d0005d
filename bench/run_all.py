"""Every benchmark in one go, with one compact table at the end (and optionally JSON).

    .venv/bin/python bench/run_all.py  # SQLite 100k: requests, import, export
    .venv/bin/python bench/run_all.py --postgresql  # + PostgreSQL 1M requests and the load test
    .venv/bin/python bench/run_all.py --postgresql --runs 30 --load-seconds 120 --json out.json

Datasets come from bench/dataset.py (built on first use: ~30 s for SQLite, ~6 min for
PostgreSQL, which needs the database `bench_1m`: `createdb -h 127.0.0.1 -U postgres bench_1m`).
The machine should be idle: every figure is printed with the load average it was taken at.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import dataset  # noqa: E402
import endpoints  # noqa: E402
from _measure import load_average  # noqa: E402

PYTHON = str(ROOT / ".venv/bin/python")


def run_script(script: str, *args: str) -> dict[str, Any]:
    """Run a bench script with --json into a temporary file and return what it wrote."""
    with tempfile.NamedTemporaryFile(suffix=".json") as handle:
        subprocess.run([PYTHON, str(BENCH / script), *args, "--json", handle.name], check=True,
                       cwd=ROOT)
        return json.loads(Path(handle.name).read_text() or "{}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", action="store_true",
                        help="also the 1M-lead PostgreSQL requests and the load test")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument("--only", default=",".join(endpoints.GROUPS),
                        help="request groups (see bench/endpoints.py)")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    groups = [group for group in args.only.split(",") if group]
    result: dict[str, Any] = {"cpus": os.cpu_count(), "started_load": os.getloadavg()[0]}

    result["sqlite"] = [f.as_dict() for f in endpoints.run("sqlite", groups, args.runs,
                                                           args.warmup)]
    print(f"\nimport of {args.import_rows:,} CSV rows (temporary SQLite) · {load_average()}")
    result["import"] = run_script("import_csv.py", "--rows", str(args.import_rows),
                                  "--updates", str(min(args.import_rows, 20_000)))
    print(f"\nexport of the SQLite dataset · {load_average()}")
    result["export"] = run_script("export.py", "--xlsx", "--database-url",
                                  dataset.ensure("sqlite"))
    if args.postgresql:
        result["postgresql"] = [f.as_dict() for f in endpoints.run(
            "postgresql", groups, args.runs, args.warmup)]
        print(f"\nload test · {load_average()}")
        result["load"] = run_script("load/run.py", "--seconds", str(args.load_seconds))
    result["finished_load"] = os.getloadavg()[0]
    print_summary(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
        print(f"figures written to {args.json}")


def print_summary(result: dict[str, Any]) -> None:
    print(f"\n=== summary · load average {result['started_load']:.2f} at the start, "
          f"{result['finished_load']:.2f} at the end, {result['cpus']} CPUs ===")
    databases = [key for key in ("sqlite", "postgresql") if key in result]
    print(f"{'case':44}" + "".join(f" {db:>26}" for db in databases))
    print(f"{'':44}" + " {:>26}".format("median/p95 ms SQL xbare") * len(databases))
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for db in databases:
        for f in result[db]:
            ratio = f"{f['ratio']:.1f}" if f["ratio"] is not None else "-"
            mark = "" if not f["verdict"].startswith("MISS") else " !"
            rows.setdefault((f["group"], f["name"]), {})[db] = (
                f"{f['median_ms']:6.1f}/{f['p95_ms']:6.1f} {f['queries']:3d} {ratio:>4}{mark:2}")
    for (group, name), cells in rows.items():
        print(f"{group + ' · ' + name:44.44}" + "".join(f" {cells.get(db, ''):>26}"
                                                     for db in databases))
    misses = [f"{db}: {f['group']} · {f['name']} ({f['verdict']})" for db in databases
              for f in result[db] if f["verdict"].startswith("MISS")]
    for label, key in (("import dry run", "dry run"), ("import", "import"),
                       ("import, update mode", "update"),
                       ("undo of the updates", "undo of updates")):
        row = result["import"].get(key)
        if row:
            memory = f"  peak RSS {row['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in row else ""
            print(f"{label:20} {row['rows']:,} rows {row['seconds']:6.2f} s "
                  f"{row['rows_per_s']:9,.0f} rows/s{memory}")
    for kind, row in result["export"].items():
        print(f"{'export ' + kind:20} {row['rows']:,} rows {row['seconds']:6.2f} s "
              f"{row['rows_per_s']:9,.0f} rows/s  heap peak {row['heap_peak_mb']:.1f} MB, "
              f"peak RSS {row['peak_rss_mb']:.0f} MB")
    import_rate = result["import"].get("import", {}).get("rows_per_s", 0)
    if import_rate and import_rate <= 10_000:
        misses.append(f"import {import_rate:,.0f} rows/s (target > 10,000)")
    load = result.get("load")
    if load:
        print(f"load test {load['seconds']:.0f} s: {load['requests']:,} requests, "
              f"{load['rps']:.1f} req/s, median {load['median_ms']:.0f} ms, p95 "
              f"{load['p95_ms']:.0f} ms, {load['errors']} errors; captures "
              f"{load['captures_accepted']} accepted / {load['captures_missing']} lost; moves "
              f"{load['moves_acknowledged']} acknowledged / {load['moves_lost']} lost")
        if load["errors"] or load["captures_missing"] or load["moves_lost"]:
            misses.append("load test: errors or lost writes")
    print("targets: all met" if not misses else "targets missed:\n  " + "\n  ".join(misses))


if __name__ == "__main__":
    main()
