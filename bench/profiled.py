"""Run a service's app under cProfile (main thread), writing the profile on SIGTERM:

python -m bench.profiled OUT.prof services.training.main:create_app PORT
"""

from __future__ import annotations

import cProfile
import signal
import sys

import uvicorn


def main() -> None:
    out, factory, port = sys.argv[1:4]
    # uvicorn re-raises the signal after its graceful shutdown; exit through Python instead
    # so that the profile is written.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    prof = cProfile.Profile()
    prof.enable()
    try:
        uvicorn.run(factory, factory=True, host="127.0.0.1", port=int(port), access_log=False)
    finally:
        prof.disable()
        prof.dump_stats(out)


if __name__ == "__main__":
    main()
