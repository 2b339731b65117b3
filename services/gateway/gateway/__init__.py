"""duban gateway: the web console and the `/api/*` reverse proxy on port 8000."""
