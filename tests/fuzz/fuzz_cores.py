"""atheris harness for the cores' APIs (not collected by pytest).

Run:  pip install atheris && python tests/fuzz/fuzz_cores.py [-runs=100000] [-max_total_time=60]

The harnesses of ``tests/test_fuzz.py`` driven by libFuzzer instead of
hypothesis' own search: an input's first byte picks the core (caches in
simulator or proxy mode, token buckets, SessionGate, SiteBalancer,
consistent hashes), the rest is fed to that harness' strategies through
hypothesis' ``fuzz_one_input``, so the operations, the references and the
checks (``_fuzz_cores.py``) are the same. A mismatch raises and libFuzzer
keeps the input as a crash file.
"""
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests/: the harnesses

with atheris.instrument_imports():
    from hypothesis import HealthCheck, given, settings, strategies as st

    import test_fuzz as tf
    from _fuzz_cores import (check_hash_lookups, run_balancer, run_cache, run_keyed_buckets,
                             run_session_gate, run_token_bucket)

ONE = settings(database=None, deadline=None,
               suppress_health_check=list(HealthCheck))


@ONE
@given(tf.cache_configs(), tf.cache_ops(proxy=False))
def caches_simulator(config, ops):
    run_cache(*config, ops)


@ONE
@given(tf.cache_configs(), tf.cache_ops(proxy=True))
def caches_proxy(config, ops):
    run_cache(*config, ops)


@ONE
@given(st.data())
def token_buckets(data):
    keyed = data.draw(st.booleans())
    cfg = data.draw(tf.bucket_configs(keyed))
    ops = data.draw(tf.bucket_ops(cfg["burst"], keyed))
    (run_keyed_buckets if keyed else run_token_bucket)(cfg, ops)


@ONE
@given(tf.GATE_CONFIGS, tf.gate_ops())
def session_gate(cfg, ops):
    run_session_gate(cfg, ops)


@ONE
@given(tf.balancer_cases())
def site_balancer(case):
    run_balancer(*case)


@ONE
@given(tf.hash_tables(), st.lists(st.sampled_from(tf.HASH_KEYS), max_size=40))
def consistent_hash(table, keys):
    check_hash_lookups(table, keys, list(tf.BATCH_FORMS))


TARGETS = [caches_simulator, caches_proxy, token_buckets, session_gate, site_balancer,
           consistent_hash]


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:
        return
    TARGETS[data[0] % len(TARGETS)].hypothesis.fuzz_one_input(data[1:])


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
