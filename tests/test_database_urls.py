"""Database URLs as people see them: a password never shown, a URL that cannot be read said so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from layerkit.store.engine import display_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://anna:S3cret@db:5432/lk", "postgresql://anna:***@db:5432/lk"),
        # libpq takes the password from the query too: it was printed as it was given
        (
            "postgresql://anna@db:5432/lk?password=S3cret!x&sslmode=require",
            "postgresql://anna@db:5432/lk?password=***&sslmode=require",
        ),
        (
            "postgresql://db/lk?sslmode=require&PASSWORD=S3cret",
            "postgresql://db/lk?PASSWORD=***&sslmode=require",
        ),
        # not parseable (a port that is not a number): masked by hand, both kinds
        ("postgresql://anna:S3cret@db:port/lk", "postgresql://anna:***@db:port/lk"),
        (
            "postgresql://anna@[::1:5432/lk?password=S3cret",
            "postgresql://anna@[::1:5432/lk?password=***",
        ),
        ("/tmp/lk.db", "/tmp/lk.db"),
    ],
)
def test_a_password_is_never_shown(url: str, shown: str) -> None:
    assert display_url(url) == shown
    assert "S3cret" not in display_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://anna:S3cret@127.0.0.1:notaport/lk",
        "postgresql://anna@[::1:5432/lk?password=S3cret",
    ],
)
def test_a_url_that_cannot_be_read_is_said_so(tmp_path: Path, url: str) -> None:
    """A port that is not a number gave a ValueError traceback, exit 1."""
    result = subprocess.run(
        [sys.executable, "-m", "layerkit", "--db", url, "status"],
        cwd=tmp_path,
        env=dict(os.environ, COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Invalid database URL" in result.stderr and "Traceback" not in result.stderr
    assert "S3cret" not in result.stderr + result.stdout
