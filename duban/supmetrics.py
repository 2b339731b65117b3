"""The supervisor's own metrics: restarts and liveness of each child, on a tiny /metrics endpoint."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class SupervisorMetrics:
    """`duban_supervisor_*` series, served on 127.0.0.1:<DUBAN_SUPERVISOR_PORT>/metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.restarts = Counter("duban_supervisor_restarts_total", "Automatic restarts of a crashed child process",
                                ["service"], registry=self.registry)
        self.up = Gauge("duban_supervisor_child_up", "1 while the child process runs, 0 while it waits to restart",
                        ["service"], registry=self.registry)
        self.server = None

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve /metrics in a daemon thread."""
        self.server, _ = start_http_server(port, addr=host, registry=self.registry)

    def stop(self) -> None:
        """Close the listening socket."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
