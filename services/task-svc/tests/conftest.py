"""task-svc tests: make the helper modules of this folder importable (the suite runs in importlib mode)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
