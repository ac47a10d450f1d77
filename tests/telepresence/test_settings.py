"""Production settings, checked in fresh processes exactly as a deploy would start them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )


def test_service_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _run("check", DEBUG="false", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_service_refuses_the_development_key_when_debug_is_off():
    result = _run(
        "check", DEBUG="false", SECRET_KEY="django-insecure-" + "x" * 60, ALLOWED_HOSTS="a.org"
    )
    assert result.returncode != 0


def test_production_settings_pass_djangos_deploy_checks():
    result = _run(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY="k" * 20 + "Zq8-Xw2_rT5yU1iO9pL3aS7dF4gH6jK0" + "m" * 10,
        ALLOWED_HOSTS="telepresence.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bad_setting_value_fails_loudly():
    result = _run("check", DEBUG="maybe-not-a-number", PRESENCE_TIMEOUT_SECONDS="soon")
    assert result.returncode != 0
