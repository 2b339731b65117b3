"""Container entry point: run one duban service under uvicorn, as `duban up` does.

The service comes from the first argument or DUBAN_SERVICE (plan-svc, task-svc, notify-svc,
report-svc, gateway); module and port come from `duban.stack`, the same table `duban up` uses.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

PORT_FILE = Path(tempfile.gettempdir()) / "duban-service-port"


def command(name: str, host: str = "0.0.0.0") -> list[str]:  # noqa: S104 - a container listens on all interfaces
    """The uvicorn command line for a service."""
    from duban.stack import by_name

    svc = by_name(name)
    return [
        "uvicorn", svc.module, "--factory", "--host", host, "--port", str(svc.port),
        "--lifespan", "on", "--no-access-log", "--timeout-graceful-shutdown", "10",
    ]


def main(argv: list[str]) -> None:
    """Replace this process with the service's uvicorn."""
    name = argv[1] if len(argv) > 1 else os.environ.get("DUBAN_SERVICE", "")
    try:
        cmd = command(name)
    except KeyError:
        sys.exit(f"unknown service {name!r}: set DUBAN_SERVICE to plan-svc, task-svc, notify-svc, report-svc or gateway")
    try:
        PORT_FILE.write_text(cmd[cmd.index("--port") + 1])
    except OSError:  # a read-only /tmp only costs the Docker HEALTHCHECK; Kubernetes probes over HTTP
        pass
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv)
