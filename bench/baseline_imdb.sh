#!/usr/bin/env bash
# TF-IDF + logistic regression on IMDb (train 25,000 -> test 25,000), unigrams and unigrams + bigrams:
# `bertft baseline` and scikit-learn (tests/reference/sklearn_tfidf.py: sublinear TF-IDF, min_df 2,
# LogisticRegression lbfgs) side by side; the table in docs/baseline.md. Needs ../shared and
# python3-sklearn.
#   bench/baseline_imdb.sh [C] [THREADS]   (defaults: 1.0, 2)
# Wall time is the whole process: reading the archive, fitting, scoring the test set.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
archive=$root/../shared/data/imdb/aclImdb.tar.gz
[ -f "$archive" ] || { echo "SKIP: $archive not found"; exit 77; }
C=${1:-1.0}
threads=${2:-2}
bertft=${BERTFT:-$root/build/bertft}
[ -x "$bertft" ] || { echo "$bertft: not built (cmake --build build) or set BERTFT"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

wall() {  # wall seconds of "$@", its stdout to $out/last.json
  local start end
  start=$(date +%s.%N)
  "$@" >"$out/last.json"
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.1f}')"
}

echo "| n-grams | implementation | C | features | test accuracy | F1 | train s | eval s | wall s |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for n in 1 2; do
  t=$(wall "$bertft" baseline --train "$archive#aclImdb/train" --test "$archive#aclImdb/test" \
    --ngram-max "$n" --C "$C" --threads "$threads")
  python3 - "$out/last.json" "$n" bertft "$t" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"| 1..{sys.argv[2]} | {sys.argv[3]} | {d['C']:g} | {d['num_features']:,} | {100 * d['accuracy']:.2f}% | "
      f"{d['f1']:.4f} | {d['train_seconds']:.1f} | {d['eval_seconds']:.1f} | {sys.argv[4]} |")
EOF
  t=$(OMP_NUM_THREADS=$threads wall /usr/bin/python3 "$root/tests/reference/sklearn_tfidf.py" \
    --archive "$archive" --ngram-max "$n" --C "$C")
  python3 - "$out/last.json" "$n" "scikit-learn" "$t" "$C" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"| 1..{sys.argv[2]} | {sys.argv[3]} | {float(sys.argv[5]):g} | {d['num_features']:,} | {100 * d['accuracy']:.2f}% | "
      f"{d['f1']:.4f} | {d['train_seconds']:.1f} | {d['eval_seconds']:.1f} | {sys.argv[4]} |")
EOF
done
