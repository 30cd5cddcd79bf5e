"""Shared test settings: hypothesis profiles and the markers' budgets.

Profiles (``HYPOTHESIS_PROFILE=<name>``): ``default`` for the normal run;
``sanitize`` for the ASan/UBSan run of ``tools/sanitize.sh`` (every example is
several times slower there, and the point of that run is the memory checks on
the paths the tests take, not the search). Tests that set their own
``max_examples`` keep it in every profile.

``RUNISO_FUZZ_SECONDS`` is the time budget of each ``fuzz``-marked harness
(``tests/test_fuzz.py``): a few seconds in CI, as long as you like by hand.
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None)
settings.register_profile("sanitize", deadline=None, max_examples=20,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def fuzz_seconds(default: float = 3.0) -> float:
    """Time budget of one fuzz harness (RUNISO_FUZZ_SECONDS, default 3 s)."""
    return float(os.environ.get("RUNISO_FUZZ_SECONDS", default))
