"""Container entry point: run one duban service under uvicorn, as `duban up` does.

The service comes from the first argument or DUBAN_SERVICE (plan-svc, task-svc, notify-svc,
report-svc, gateway); module and port come from `duban.stack`, the same table `duban up` uses.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

PORT_FILE = Path(tempfile.gettempdir()) / "duban-service-port"


def options(name: str, host: str = "0.0.0.0") -> dict[str, Any]:
    """uvicorn.run() arguments for a service."""
    from duban.stack import by_name

    svc = by_name(name)
    # log_config=None: uvicorn's own lines go through the service's JSON root logger too.
    return {
        "app": svc.module, "factory": True, "host": host, "port": svc.port, "lifespan": "on",
        "access_log": False, "timeout_graceful_shutdown": 10, "log_config": None,
    }


def main(argv: list[str]) -> None:
    """Serve until SIGTERM/SIGINT."""
    name = argv[1] if len(argv) > 1 else os.environ.get("DUBAN_SERVICE", "")
    try:
        opts = options(name)
    except KeyError:
        sys.exit(f"unknown service {name!r}: set DUBAN_SERVICE to plan-svc, task-svc, notify-svc, report-svc or gateway")
    try:
        PORT_FILE.write_text(str(opts["port"]))
    except OSError:  # a read-only /tmp only costs the Docker HEALTHCHECK; Kubernetes probes over HTTP
        pass
    import uvicorn

    uvicorn.run(**opts)


if __name__ == "__main__":
    main(sys.argv)
