#!/usr/bin/env bash
# Data-parallel scaling on one machine (docs/distributed.md): the same masked-LM pretraining workload as
# one process with 2 threads, and as 2 MPI ranks of 1 thread each, with the gradient all-reduce in small
# buckets overlapping the backward pass (the default 8 MiB) and in one bucket after it (no overlap).
#
#   bash bench/mpi_scaling.sh [WORK_DIR] [STEPS]    (defaults /tmp/bertft-mpi-scaling, 40)
#
# Workload: a 4 x 256 BERT (1024 intermediate, the demo tokenizer's 4,141-token vocabulary) from
# scratch on `bertft synth` reviews, 128-token sequences, global batch 32, dropout 0. Steps per second
# come from the log's training clock over the steps after the first 5 (allocation, first touches);
# the communication share is what rank 0 reports: the time its main thread waited for the all-reduces,
# over the time of its optimizer steps. Needs bertft built with MPI and mpirun (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/bertft-mpi-scaling}
steps=${2:-40}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertft >/dev/null
mpi=$(./build/bertft version | python3 -c 'import json, sys; print(json.load(sys.stdin)["mpi"] or "")')
[ -n "$mpi" ] || { echo "mpi_scaling: bertft was built without MPI (install libopenmpi-dev and rebuild)" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "mpi_scaling: mpirun not found (apt-get install openmpi-bin)" >&2; exit 1; }
mpirun=(mpirun --bind-to core --map-by core)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)

rm -rf "$work"
mkdir -p "$work"
cat >"$work/config.json" <<'EOF'
{"model_type": "bert", "architectures": ["BertForMaskedLM"], "vocab_size": 4141, "hidden_size": 256,
 "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024, "max_position_embeddings": 128}
EOF
./build/bertft synth --n 4000 --seed 1 --output "$work/corpus.jsonl" >/dev/null
args=(pretrain --config "$work/config.json" --tokenizer models/demo --corpus "$work/corpus.jsonl"
      --max-length 128 --batch-size 32 --max-steps "$steps" --eval-steps 100000 --save-steps 100000
      --learning-rate 5e-4 --dropout 0)

run() {  # name, launcher and options...
  local name=$1; shift
  echo "== $name" >&2
  "$@" --output "$work/$name" --log "$work/$name.jsonl" >/dev/null 2>"$work/$name.err" ||
    { cat "$work/$name.err" >&2; exit 1; }
}
run 1x2 ./build/bertft "${args[@]}" --threads 2
run 2x1 "${mpirun[@]}" -n 2 ./build/bertft "${args[@]}" --threads 1
run 2x1-one-bucket "${mpirun[@]}" -n 2 ./build/bertft "${args[@]}" --threads 1 --bucket-mb 1024

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
python3 - "$work" "$cpu, $(nproc) cores" "$mpi" <<'EOF'
import json, re, sys
work, hardware, mpi = sys.argv[1:4]
rows = [("1x2", "1 rank x 2 threads"), ("2x1", "2 ranks x 1 thread, 8 MiB buckets (overlapping the backward pass)"),
        ("2x1-one-bucket", "2 ranks x 1 thread, one bucket (after the backward pass)")]
print(f"{hardware}; {mpi}; 4 x 256 BERT masked-LM, 128 tokens, global batch 32")
print("| layout | steps/s | tokens/s | communication share of step time |")
print("|---|---:|---:|---:|")
for name, label in rows:
    steps = [json.loads(line) for line in open(f"{work}/{name}.jsonl") if '"loss"' in line]
    first, last = steps[4], steps[-1]  # the clock after step 5 and after the last step
    rate = (last["step"] - first["step"]) / (last["seconds"] - first["seconds"])
    summary = re.search(r"communication ([0-9.]+)% of step time", open(f"{work}/{name}.err").read())
    share = summary.group(1) + "%" if summary else "none (one process)"
    print(f"| {label} | {rate:.2f} | {rate * 32 * 128:,.0f} | {share} |")
EOF
