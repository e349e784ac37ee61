"""Where the pipeline's time goes: the consumers run under cProfile while N volunteers are
imported; prints the top functions of each profiled service.

    python -m bench.profile --volunteers 5000 --services training,notifications
"""

from __future__ import annotations

import argparse
import asyncio
import io
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import BenchStack
from bench.pipeline import _until_all_hold, _upload
from bench.samples.generate import write


async def profile(
    workdir: Path, n: int, services: tuple[str, ...], env: dict[str, str], keep: Path | None = None
) -> dict[str, str]:
    path = await asyncio.to_thread(write, workdir / "volunteers.csv", "35", n)
    stack = BenchStack(workdir / "stack", extra_env=env)
    try:
        await asyncio.to_thread(stack.start, profile=services)
        started = time.monotonic()
        await asyncio.to_thread(_upload, stack, path)
        reached, counts = await _until_all_hold(stack, n, started, 600)
        print(f"held after {reached} (counts {counts})", flush=True)
    finally:
        await asyncio.to_thread(stack.stop, graceful=True)
    return await asyncio.to_thread(_reports, stack.var_dir, services, keep)


def _reports(var_dir: Path, services: tuple[str, ...], keep: Path | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in services:
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(var_dir / f"{name}.prof", keep / f"{name}.prof")
        buf = io.StringIO()
        stats = pstats.Stats(str(var_dir / f"{name}.prof"), stream=buf)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(r"/(shared|services)/", 40)
        out[name] = buf.getvalue()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--services", default="training,notifications")
    parser.add_argument("--keep", type=Path, help="copy the .prof files to this directory")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the services")
    args = parser.parse_args()
    env = dict(e.split("=", 1) for e in args.env)
    with tempfile.TemporaryDirectory(prefix="psm-profile-") as tmp:
        services = tuple(args.services.split(","))
        reports = asyncio.run(profile(Path(tmp), args.volunteers, services, env, args.keep))
    for name, text in reports.items():
        print(f"===== {name} =====\n{text}")


if __name__ == "__main__":
    main()
