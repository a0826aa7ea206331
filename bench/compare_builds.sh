#!/usr/bin/env bash
# Two builds of bertft side by side on `bertft bench`: BERT-mini (4 x 256) and BERT-base (12 x 768),
# train and infer, 128 and 512 tokens, fp32 and bf16, batch 8, 2 threads. The builds alternate run by
# run (OLD, NEW, OLD, NEW, ...) for --rounds rounds and each keeps its best tokens/s, so a slow
# moment of the machine costs both alike. Prints a Markdown table with NEW / OLD.
#   bench/compare_builds.sh OLD_BINARY [NEW_BINARY (default build/bertft)] [--rounds N (2)] [--seconds S (10)]
# Run it on an idle machine; state the CPU (lscpu) with the numbers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
old=${1:?usage: bench/compare_builds.sh OLD_BINARY [NEW_BINARY] [--rounds N] [--seconds S]}
shift
new=$root/build/bertft
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then new=$1; shift; fi
rounds=2 seconds=10
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

shapes=("BERT-mini:4:256:4:1024" "BERT-base:12:768:12:3072")
tokens_per_s() {  # one run of binary $1 with the bench arguments that follow
  local binary=$1; shift
  "$binary" bench "$@" --batch-size 8 --threads 2 --seconds "$seconds" 2>/dev/null |
    sed -E 's/.*"tokens_per_s":([0-9.]+).*/\1/'
}
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > a ? b : a) }'; }

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p') (family $(lscpu | sed -n 's/^CPU family: *//p'), model $(lscpu | sed -n 's/^Model: *//p')), $(nproc) cores; OLD $old, NEW $new; best of $rounds x ${seconds}s"
echo
echo "| shape | T | mode | precision | OLD tokens/s | NEW tokens/s | NEW / OLD |"
echo "|---|---|---|---|---|---|---|"
for shape in "${shapes[@]}"; do
  IFS=: read -r name layers hidden heads intermediate <<<"$shape"
  for seq_len in 128 512; do
    for mode in train infer; do
      for precision in fp32 bf16; do
        args=(--layers "$layers" --hidden "$hidden" --heads "$heads" --intermediate "$intermediate"
              --seq-len "$seq_len" --mode "$mode" --precision "$precision")
        # Interleaved: each round runs OLD then NEW.
        o=0 n=0
        for _ in $(seq "$rounds"); do
          o=$(max "$o" "$(tokens_per_s "$old" "${args[@]}")")
          n=$(max "$n" "$(tokens_per_s "$new" "${args[@]}")")
        done
        ratio=$(awk -v a="$o" -v b="$n" 'BEGIN { printf "%.3f", b / a }')
        echo "| $name | $seq_len | $mode | $precision | $o | $n | $ratio |"
      done
    done
  done
done
