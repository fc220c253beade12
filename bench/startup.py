"""Start-up: process start → window shown, over several runs (Qt offscreen unless DISPLAY is set).

Two modes:

* ``--demo`` (default): the demo — Python start and imports, the sandbox stand-ins (TLS certificate made), the
  sign-ins, seeding, the migration and the first paint.
* ``--db URL``: the console on that database (e.g. one filled by ``bench/seed.py --appointments 100000``), against
  its baseline in the same run: the same console on an empty database. Prints the time to the window and the peak
  RSS the process reports when its window is shown.

Our packages are byte-compiled first, as they are in a wheel or a packaged build.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOWN = re.compile(r"window shown(?: ([\d.]+) s after start)?(?:; peak RSS (\d+) MB)?")


def one_run(argv: list[str], env: dict) -> tuple[float, float | None]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "receptionist.cli", *argv, "--quit-after", "0.5"], cwd=ROOT,
                            env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen = rss = None
    tail = []
    for line in proc.stderr:  # timestamp the log line as it arrives: process start → window on screen
        tail.append(line)
        match = SHOWN.search(line)
        if seen is None and match:
            seen = time.perf_counter() - started
            rss = float(match.group(2)) if match.group(2) else None
    proc.wait(timeout=300)
    if proc.returncode != 0 or seen is None:
        print("".join(tail[-40:]))
        raise SystemExit(f"the console did not start: {' '.join(argv)}")
    return seen, rss


def console_args(db_url: str, folder: Path) -> list[str]:
    profile = folder / "bench.toml"
    if not profile.exists():
        profile.write_text('[location]\nid = "bench-desk"\nname = "Bench Desk"\ntime_zone = "America/Chicago"\n'
                           '[ingest]\nport = 0\n', encoding="utf-8")
    return ["--profile", str(profile), "--db", db_url]


def report(name: str, runs: list[tuple[float, float | None]]) -> None:
    times = [t for t, _ in runs]
    rss = [r for _, r in runs if r is not None]
    text = f"{name}: median process start → window shown {statistics.median(times):.2f} s over {len(runs)} runs"
    if rss:
        text += f"; peak RSS {statistics.median(rss):.0f} MB"
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", metavar="URL", help="the console on this database, against an empty one")
    args = parser.parse_args()
    # An installed console (a wheel, a packaged build) runs from compiled bytecode; a checkout under
    # PYTHONDONTWRITEBYTECODE would compile every module of ours from source on every start instead (~0.3 s here).
    for package in ("receptionist", "receptionist_sandbox"):
        compileall.compile_dir(ROOT / package, quiet=1)
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    if not args.db:
        report("demo", [one_run(["--demo"], env) for _ in range(args.runs)])
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env.update(PYTHON_KEYRING_BACKEND="receptionist.providers.secrets.MemoryKeyring",
                   RECEPTIONIST_DATA_DIR=str(folder / "data"), RECEPTIONIST_LOG_DIR=str(folder / "log"))
        empty = f"sqlite:///{folder / 'empty.db'}"
        runs = {"empty database (baseline)": [], f"{args.db}": []}
        for _ in range(args.runs):  # interleaved, so both see the same machine
            runs["empty database (baseline)"].append(one_run(console_args(empty, folder), env))
            runs[f"{args.db}"].append(one_run(console_args(args.db, folder), env))
        for name, results in runs.items():
            report(name, results)


if __name__ == "__main__":
    main()
