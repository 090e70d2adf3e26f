"""Peak memory against the number of patients (issue 9): the bench population, 2 years each, simulated in
chunks and reduced to one row per patient (tregsim.bench.reduced_cohort); each size in a fresh process so
its peak RSS is its own.

    PYTHONPATH=src python benchmarks/memory.py [--sizes 1000 10000 30000] [--case untreated] [--out file.json]

A run too long for one sitting (10^6 patients x 2 years: many hours on a 2-core machine) goes through
tregsim.bench.resumable_memory_run: chunks written atomically to a directory, resumed where a stopped run left
off, the peak memory of every part recorded; run it again (same arguments) until the summary says complete:

    PYTHONPATH=src python benchmarks/memory.py --resume-dir runs/memory-1e6 --patients 1000000 [--max-hours 2]

A second part alongside the first (another core; add --reverse) takes the chunks from the last; the peak memory
of the run is then that of its parts together.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

PROBE = "import json, sys; from tregsim.bench import memory_probe; print(json.dumps(memory_probe(sys.argv[1], " \
        "int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))))"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 30000])
    ap.add_argument("--case", default="untreated", choices=["untreated", "treated"])
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--out")
    ap.add_argument("--resume-dir", help="one resumable run of --patients in this directory (see above)")
    ap.add_argument("--patients", type=int, default=1_000_000)
    ap.add_argument("--max-hours", type=float, help="stop this part after about this long (resume later)")
    ap.add_argument("--reverse", action="store_true",
                    help="take the chunks from the last (a second part alongside the first, on another core)")
    a = ap.parse_args()
    if a.resume_dir:
        from tregsim.bench import resumable_memory_run

        def progress(done: int, total: int) -> None:
            if done % 10 == 0 or done == total:
                print(f"chunks {done}/{total}", flush=True)

        summary = resumable_memory_run(a.resume_dir, a.case, a.patients, a.years, a.chunk,
                                       None if a.max_hours is None else a.max_hours * 3600.0, progress,
                                       reverse=a.reverse)
        print(json.dumps({k: v for k, v in summary.items() if k != "failed_seeds"} | {"failed": len(summary["failed_seeds"])}))
        return
    results = []
    for n in a.sizes:
        r = subprocess.run([sys.executable, "-c", PROBE, a.case, str(n), str(a.years), str(a.chunk)],
                           capture_output=True, text=True, check=True)
        results.append(json.loads(r.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    if len(results) >= 2:  # growth per patient between the smallest and the largest run
        lo, hi = results[0], results[-1]
        per = (hi["peak_mib"] - lo["peak_mib"]) / (hi["patients"] - lo["patients"])
        summary = {"mib_per_patient": per, "extrapolated_peak_mib_1e6": hi["peak_mib"] + per * (1e6 - hi["patients"]),
                   "runs": results}
        print(json.dumps({k: v for k, v in summary.items() if k != "runs"}))
        if a.out:
            with open(a.out, "w", encoding="utf-8") as f:
                json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
