#!/usr/bin/env bash
# The GPU figures of the README in one go: `layerkit train` beside TRL's SFTTrainer on
# random-init Qwen2-0.5B and -1.5B dimensions (bf16, LoRA r=16, packed records).
#
#     bash bench/gpu_suite.sh [LOG_DIR]        # logs: one file per configuration
#     SUITE=short bash bench/gpu_suite.sh      # Qwen2-1.5B only (about 4 minutes)
#
# Each configuration runs in its own process under a time limit, so one that fails (an
# out-of-memory at a large batch, a kernel missing on this machine) does not stop the others.
# Wheels in .whl/ (trl, datasets, ...; `bash bench/fetch_wheels.sh` downloads them) are
# installed to /tmp/site first when present, for machines that cannot reach a package registry.
set -u
LOG_DIR=${1:-${OUT:-gpu-logs}}
mkdir -p "$LOG_DIR"
PY=${PYTHON:-python3}
if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false PYTHONWARNINGS=ignore
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv | tee "$LOG_DIR/gpu.txt"
$PY - <<'PY' 2>&1 | tee -a "$LOG_DIR/gpu.txt"
import importlib
for name in ("torch", "transformers", "peft", "accelerate", "trl", "datasets", "tokenizers"):
    try:
        print(name, importlib.import_module(name).__version__)
    except Exception as exc:  # noqa: BLE001
        print(name, "MISSING", exc)
import torch
print("cuda", torch.version.cuda, torch.cuda.get_device_name(), "bf16", torch.cuda.is_bf16_supported())
PY

bench() {  # NAME LIMIT_S ARGS...
    local name=$1 limit=$2
    shift 2
    echo "=== $name: $*"
    local t0=$SECONDS
    timeout "$limit" $PY bench/train_throughput.py "$@" >"$LOG_DIR/$name.log" 2>&1
    echo "exit $? after $((SECONDS - t0)) s"
    grep -v -i -E "warn|deprecat|^\s*$" "$LOG_DIR/$name.log" | tail -14
}

WORK=${WORK:-/tmp/lk-gpu}
SUITE=${SUITE:-full}
if [ "$SUITE" = full ]; then
    bench qwen2-0.5b 150 --model qwen2-0.5b --steps 30 --batch-size 4 --keep "$WORK/q05"
    bench qwen2-1.5b-b4 180 --model qwen2-1.5b --steps 30 --batch-size 4 --keep "$WORK/q15"
fi
bench qwen2-1.5b-b8 150 --model qwen2-1.5b --steps 30 --batch-size 8 --keep "$WORK/q15"
bench qwen2-1.5b-b8-flex 150 --model qwen2-1.5b --steps 30 --batch-size 8 \
    --attn-implementation flex_attention --keep "$WORK/q15"
if [ "$SUITE" = short ]; then
    bench qwen2-1.5b-b6 120 --model qwen2-1.5b --steps 30 --batch-size 6 --keep "$WORK/q15"
fi
