"""The "rate-limited fleet job" table (issue 13): report firmware for N devices at concurrency 64 through one
client, against a local server that admits ``rate`` requests/s (a token bucket with one second's burst; 429 with
``Retry-After: 1`` beyond; tests/ratelimitserver.py), with ``max_rate=rate`` and with adaptive pacing alone,
async tasks and 64 threads.

    .venv/bin/python bench/ratelimited.py            # N = 1,000 at 100 requests/s: about 45 s
    .venv/bin/python bench/ratelimited.py --quick    # N = 250: about 10 s

Prints N, the rate, elapsed / (N / rate), the share of the answers that were 429 and the calls lost, against
the targets (max_rate <= 1.15x, adaptive <= 1.3x). bench/run.py adds the table to its report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from ratelimitserver import RATE, fleet_job, rate_limited  # noqa: E402 - after the path set-up above

CONCURRENCY = 64
TARGETS = {"max_rate": 1.15, "adaptive": 1.3}


def measure(quick: bool = False, calls: int | None = None, rate: float = RATE) -> list[dict[str, Any]]:
    """One row per (pacing, client): the job's numbers and whether it met its target."""
    n = calls or (250 if quick else 1_000)
    rows = []
    for pacing, max_rate in (("max_rate", rate), ("adaptive", None)):
        for kind, client in (("async", "AsyncFotaClient"), ("sync", "FotaClient, 64 threads")):
            with rate_limited(rate) as (server, limit):
                job = fleet_job(kind, server.url, n, CONCURRENCY, max_rate=max_rate)
            ratio = job.elapsed / (n / rate)
            rows.append(
                {
                    "pacing": f"max_rate={rate:g}" if max_rate else "adaptive",
                    "client": client,
                    "calls": n,
                    "rate": rate,
                    "elapsed_s": job.elapsed,
                    "ratio_to_n_over_rate": ratio,
                    "refused_share": limit.refused_share,
                    "lost": len(job.lost),
                    "target": TARGETS[pacing],
                    "pass": ratio <= TARGETS[pacing] and not job.lost,
                }
            )
            print(f"  rate-limited {rows[-1]['pacing']} {client}: {job.elapsed:.2f} s", file=sys.stderr)
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "",
        f"**Rate-limited fleet job**: `report_device_firmware` for N devices at concurrency {CONCURRENCY} through "
        "one client, against a local token bucket admitting `rate` requests/s (burst: one second's worth; 429 "
        "with `Retry-After: 1` beyond); `bench/ratelimited.py`.",
        "",
        "| Pacing | Client | N | rate/s | elapsed s | elapsed / (N/rate) | 429 share | lost | target | |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    lines += [
        f"| {r['pacing']} | {r['client']} | {r['calls']:,} | {r['rate']:g} | {r['elapsed_s']:.2f} | "
        f"{r['ratio_to_n_over_rate']:.2f} | {r['refused_share']:.1%} | {r['lost']} | <= {r['target']:.2f} | "
        f"{'PASS' if r['pass'] else 'MISS'} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def section(results: dict[str, Any], quick: bool) -> str:
    """bench/run.py's hook: measure, keep the rows in ``results``, return the table."""
    results["rate_limited"] = measure(quick)
    return markdown(results["rate_limited"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 250: checks that the job runs")
    parser.add_argument("--calls", type=int, default=None, help="N, calls per job (default 1,000)")
    parser.add_argument("--rate", type=float, default=RATE, help="requests per second the server admits")
    args = parser.parse_args(argv)
    print(markdown(measure(args.quick, args.calls, args.rate)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
