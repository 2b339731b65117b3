"""The one error the parser raises for input it cannot turn into a plan."""

from __future__ import annotations

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class PlanParseError(Exception):
    """A document that cannot become a draft; `code` is stable snake_case, `message` is Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
