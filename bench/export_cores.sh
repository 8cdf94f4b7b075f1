#!/usr/bin/env bash
# The curriculum export's records/s with 1, 2, 4 and 8 jobs, for a machine with more cores
# than the 2 of the development machine (the device machines have 16). One store is built
# (bench/export.py's store, SIZES paragraphs) and exported once per number of jobs.
#
#     bash bench/export_cores.sh              # 10k paragraphs: about 3 minutes on 16 cores
#     SIZES=2000 bash bench/export_cores.sh   # a quick run
#
# On a machine without layerkit's packages and no package registry, the wheels in .whl/ (see
# the README's notes on GPU figures) are installed to /tmp/site first, then layerkit itself from
# this working tree (built with the carried hatchling).
set -u
PY=${PYTHON:-python3}
if ! $PY -c "import layerkit.project" 2>/dev/null; then
    if ! ls .whl/*.whl >/dev/null 2>&1; then
        echo "layerkit is not importable and there are no wheels in .whl/" >&2
        exit 2
    fi
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 2
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
    $PY -m pip install -q --no-index --no-deps --no-build-isolation --no-compile \
        --no-cache-dir --upgrade --target /tmp/site . || exit 2
fi
export PYTHONUNBUFFERED=1
echo "cpus: $($PY -c 'import os; print(len(os.sched_getaffinity(0)))')"
$PY -c 'import platform; print("cpu:", platform.processor() or platform.machine())'
grep -m1 "model name" /proc/cpuinfo || true
WORK=${WORK:-/tmp/lk-export}
mkdir -p "$WORK"
for jobs in ${JOBS:-1 2 4 8}; do
    echo "=== --jobs $jobs"
    $PY bench/export.py --sizes "${SIZES:-10000}" --work "$WORK" --jobs "$jobs" || exit 1
done
