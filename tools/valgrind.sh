#!/usr/bin/env bash
# valgrind memcheck over tools/valgrind_workload.py (every core's per-call and
# batch paths, every trace format) on the NORMAL build, the one users get: what
# ASan's instrumented build cannot show (the -O3 code as shipped). CI runs it
# after tools/sanitize.sh (12 s on the 2-core CI machine).
#
#   bash tools/valgrind.sh [PYTHON]   # default: `python` on PATH, with runiso_core
#                                     # installed as README says (.ci/run's venv)
#
# Fails on any memcheck error (invalid read/write/free, overlap, ...) and on any
# "definitely lost" block allocated under a runiso_core frame; CPython's and
# numpy's own leaks (no such frame: memcheck's stacks are complete) are tolerated.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-python}
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)"; exit 1; }
pkg=$("$py" -c 'import importlib.util as u; print(u.find_spec("runiso_core").submodule_search_locations[0])')
for mod in "$pkg"/_*.so; do
  [[ $(ldd "$mod") != *libasan* ]] || { echo "valgrind: $mod is a sanitizer build; use the normal one"; exit 1; }
done

out=$(mktemp -d)
# PYTHONMALLOC=malloc: memcheck sees every Python object (pymalloc's arenas hide them).
# NPY_DISABLE_CPU_FEATURES: valgrind 3.19 crashes in numpy's AVX2/AVX-512 sort kernels.
# --undef-value-errors=no: CPython 3.11 reports uninitialised values in its own
#   int code (maybe_small_long, from every int.from_bytes / int(str)) and the
#   taint spreads to every later use of those ints, in any module; the gate here
#   is addressability and leaks (ASan does not check uninitialised reads either).
# --errors-for-leak-kinds=none: leaks are judged below, not by the exit code.
set +e
PYTHONMALLOC=malloc NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4" \
  valgrind --tool=memcheck --error-exitcode=1 --undef-value-errors=no \
    --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=none \
    --num-callers=50 --suppressions=tools/valgrind.supp \
    --xml=yes --xml-file="$out/memcheck.xml" --log-file="$out/memcheck.log" \
    "$py" tools/valgrind_workload.py >"$out/workload.txt" 2>&1
status=$?
set -e
if [ "$status" -ne 0 ]; then
  tail -n 30 "$out/workload.txt"; tail -n 15 "$out/memcheck.log"
  echo "valgrind: exited $status"
fi
python3 tools/judge_reports.py valgrind "$out/memcheck.xml" || status=1
[ "$status" -eq 0 ] && rm -rf "$out"
exit "$status"
