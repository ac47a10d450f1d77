"""Appointment settings fail loudly on bad values, as a deploy would start them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "env",
    [
        {"APPOINTMENT_NO_SHOW_AFTER_SECONDS": "soon"},
        {"APPOINTMENT_CANCEL_NOTICE_SECONDS": "-1"},
        {"APPOINTMENT_SLOTS_MAX_DAYS": "0"},
    ],
)
def test_a_bad_appointment_setting_stops_the_start(env):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env={**os.environ, "DEBUG": "true", **env},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert next(iter(env)) in result.stderr or "invalid literal" in result.stderr
