"""Docker HEALTHCHECK: GET /healthz on the port serve.py recorded; exit 0 when it answers 200."""

from __future__ import annotations

import sys
import tempfile
import urllib.request
from pathlib import Path

PORT_FILE = Path(tempfile.gettempdir()) / "duban-service-port"


def main() -> int:
    """0 when healthy, 1 otherwise (stdlib only: it runs every few seconds)."""
    try:
        port = int(PORT_FILE.read_text().strip())
        # No proxies: HTTP_PROXY in the container's environment must not reroute a local check.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=4) as resp:
            return 0 if resp.status == 200 else 1
    except (OSError, ValueError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
