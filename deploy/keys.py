"""Compose's one-shot `keys` step: the JWT key pair and every service's event signing key, each in its own volume.

Under ROOT (the `keys` container's /keys):
  jwt-private/           jwt-private.pem (+ .pub)   → mounted by task-svc alone
  jwt-public/            jwt-public.pem             → mounted by every duban container
  <svc>/events/          <svc>.key + every owner's .pub → mounted by <svc> alone at $DUBAN_VAR_DIR/keys/events
Keys are made once (`duban keys init` does the same with the same helpers); public keys are re-copied on every
run, so removing one service's volume rotates its key and the next run hands the new public key to everyone.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from duban_shared.auth import ensure_keypair
from duban_shared.messaging.signing import TOPIC_OWNERS, ensure_event_key, key_paths

ROOT = Path("/keys")
JWT_PRIVATE = "jwt-private"
JWT_PUBLIC = "jwt-public"
OWNERS = sorted(set(TOPIC_OWNERS.values()))


def event_dir(root: Path, service: str) -> Path:
    """The folder that becomes `service`'s $DUBAN_VAR_DIR/keys/events."""
    return key_paths(root / service, service)[0].parent


def _replace(path: Path, data: bytes) -> None:
    """Write `data` to `path` (0644) unless it already holds it; atomic, so a reader never sees half a key."""
    if path.exists() and path.read_bytes() == data:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    try:
        os.write(fd, data)
        os.close(fd)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_keys(root: Path = ROOT) -> None:
    """Create what is missing, then hand every owner's public key to every owner's folder."""
    _, jwt_pub = ensure_keypair(root / JWT_PRIVATE)
    (root / JWT_PUBLIC).mkdir(parents=True, exist_ok=True)
    _replace(root / JWT_PUBLIC / "jwt-public.pem", jwt_pub.read_bytes())
    for svc in OWNERS:
        ensure_event_key(root / svc, svc)
    for owner in OWNERS:
        pub = key_paths(root / owner, owner)[1]
        for svc in OWNERS:
            if svc != owner:
                _replace(event_dir(root, svc) / pub.name, pub.read_bytes())


if __name__ == "__main__":
    make_keys(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
    print(f"keys ready: {', '.join(OWNERS)}")
