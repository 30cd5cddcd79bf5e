#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs it
# after the normal suite). Builds runiso_core with RUNISO_SANITIZE=ON into its own
# venv (.sanitize-venv, build tree build/sanitize) and runs pytest with the GCC
# runtimes preloaded. Exit non-zero on a test failure or any sanitizer report.
#
#   bash tools/sanitize.sh [pytest args...]    # default: the suite but the memory-bound tests
#
# CPython and numpy are not instrumented: ASan sees their heap (PYTHONMALLOC=malloc)
# and checks our code's accesses to it; only our C and Cython code is checked
# for undefined behaviour. Leaks are judged by tools/judge_reports.py against
# tools/lsan.supp (see there why LSan is not given that file itself).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.sanitize-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# shellcheck disable=SC1091
. "$venv/bin/activate"          # `runiso` on PATH: tests run the CLI as a subprocess

t0=$SECONDS
build_log=$(mktemp)
if ! { python -m pip install -q --upgrade pip &&
       python -m pip install -q -C cmake.define.RUNISO_SANITIZE=ON -C build-dir=build/sanitize ".[test]"; } \
       >"$build_log" 2>&1; then
  cat "$build_log"; echo "sanitize: build failed"; exit 1
fi
rm -f "$build_log"
echo "sanitize: instrumented build and install: $((SECONDS - t0)) s"
# The modules must really be instrumented (a stale or wrong build would pass quietly).
# (Located, not imported: without the preload an instrumented module refuses to load.)
pkg=$(python -c 'import importlib.util as u; print(u.find_spec("runiso_core").submodule_search_locations[0])')
for mod in "$pkg"/_*.so; do
  [[ $(ldd "$mod") == *libasan* ]] || { echo "sanitize: $mod is not linked with libasan"; exit 1; }
done

logdir=$(mktemp -d)
out="$logdir.pytest.txt"
# CPython is not linked with ASan, so the runtimes must come first, before libc.
preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
# ASAN_OPTIONS:
#   detect_leaks=1          LeakSanitizer at the exit of every process.
#   exitcode=0              a leak report alone does not fail the process: numpy's
#                           own leaks would fail every subprocess the tests start;
#                           the judge below fails the run on the leaks that count.
#   abort_on_error=1        an ASan error aborts (whatever exitcode), and on SIGABRT
#                           Python's faulthandler prints which test was running.
#   alloc_dealloc_mismatch=0  libcachesim's pybind11 module free()s a `new` string
#                           at interpreter exit; the check is about C++ new/delete
#                           and runiso_core is C.
#   log_path=...            every process writes its reports to a file: the tests
#                           capture their subprocesses' stderr.
# UBSAN_OPTIONS: stacks, and the first report aborts (the code is built with
#   -fno-sanitize-recover too). With ASan loaded UBSan ignores log_path and writes
#   to stderr: pytest runs with --capture=sys so that goes to the real stderr,
#   not to a capture file lost when the process aborts.
# PYTHONFAULTHANDLER=1: the Python stack of an aborting subprocess too.
# No detect_odr_violation=0: our modules each link the same static runiso_ext, but
#   with hidden visibility, and ASan has reported no ODR violation here.
# Default: the whole suite but the memory-bound tests (marker "memory"): they hold RSS
#   to the tables' bytes, and ASan's shadow memory and quarantine are not those bytes;
#   they run in the normal suite.
if [ "$#" -eq 0 ]; then set -- -m "not memory" tests; fi
set +e
env LD_PRELOAD="$preload" PYTHONMALLOC=malloc PYTHONFAULTHANDLER=1 HYPOTHESIS_PROFILE=sanitize \
    ASAN_OPTIONS="detect_leaks=1:exitcode=0:abort_on_error=1:alloc_dealloc_mismatch=0:log_path=$logdir/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1" \
    python -m pytest -q -p no:cacheprovider --capture=sys "$@" 2>&1 | tee "$out" | tail -n 3
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  grep -v '^[.sxFE]*\( *\[ *[0-9]*%\]\)\?$' "$out" | tail -n 200
  echo "sanitize: pytest exited $status"
fi
python tools/judge_reports.py asan "$logdir" tools/lsan.supp "$root" "$out" || status=1
[ "$status" -eq 0 ] && rm -rf "$logdir" "$out"
exit "$status"
