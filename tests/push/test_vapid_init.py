"""`digest init` makes the VAPID key once; DIGEST_VAPID_PRIVATE_KEY overrides it."""

from __future__ import annotations

from pathlib import Path

from digest.push.vapid import load_vapid, new_private_key, public_key_b64
from tests.cli_helpers import digest, write_config


def test_init_makes_the_vapid_key_once_and_env_overrides(tmp_path: Path) -> None:
    write_config(tmp_path)
    first = digest("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "web push (VAPID) key: created" in first.stdout
    public = first.stdout.split("public key ")[1].split()[0]
    again = digest("init", cwd=tmp_path)
    assert "web push (VAPID) key: kept" in again.stdout and public in again.stdout
    own = new_private_key()
    from_env = digest("init", cwd=tmp_path, env={"DIGEST_VAPID_PRIVATE_KEY": own})
    assert "from DIGEST_VAPID_PRIVATE_KEY" in from_env.stdout
    assert public_key_b64(load_vapid(own)) in from_env.stdout
    bad = digest("init", cwd=tmp_path, env={"DIGEST_VAPID_PRIVATE_KEY": "not-a-key"})
    assert bad.returncode == 2
    assert "DIGEST_VAPID_PRIVATE_KEY" in bad.stderr and "Traceback" not in bad.stderr
