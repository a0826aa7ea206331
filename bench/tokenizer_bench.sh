#!/usr/bin/env bash
# Tokenizer throughput, single-threaded, in MB/s of UTF-8 input: bertft vs @huggingface/tokenizers
# (tokenizers.js, the parity reference) on the same texts, the 25,000 IMDb train reviews, no
# truncation, for both tokenizer kinds: bert-base-uncased (WordPiece) and roberta-base (byte-level BPE).
#   bench/tokenizer_bench.sh [path/to/bertft]      (default: build/bertft)
# Both sides read and parse the texts before timing and time only their encode calls: one warm-up
# pass (JIT, caches), then the best of 3 passes. bertft runs the hidden `tokenize --bench FILE`
# (encode_ids, and encode which also builds token strings); tokenizers.js runs
# bench/tokenizer_bench.mjs (Tokenizer.encode, which always builds tokens). Both must produce the same
# number of tokens, or the table is not printed; for roberta-base tokenizers.js may differ by the
# documented U+0085 whitespace difference (src/tokenizer/byte_level.h), at most 0.1%, which is shown.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bertft=${1:-$root/build/bertft}
models=(bert-base-uncased roberta-base)
archive=$root/../shared/data/imdb/aclImdb.tar.gz
for model in "${models[@]}"; do
  if [ ! -f "$archive" ] || [ ! -f "$root/../shared/models/$model/tokenizer.json" ]; then
    echo "SKIP: ../shared not found (need $root/../shared/models/$model and $archive)"
    exit 77
  fi
done
if [ ! -d "$root/tests/reference/node_modules/@huggingface/tokenizers" ]; then
  echo "SKIP: tests/reference/node_modules not found (cd tests/reference && npm ci)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$archive" "$work/texts.jsonl" <<'PY'
import json, re, sys, tarfile
with tarfile.open(sys.argv[1]) as tar, open(sys.argv[2], "w", encoding="utf-8") as out:
    for m in tar:
        if m.isfile() and re.match(r"aclImdb/train/(pos|neg)/[^/]+\.txt$", m.name):
            text = tar.extractfile(m).read().decode("utf-8", "replace")
            out.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
PY
for model in "${models[@]}"; do
  dir=$root/../shared/models/$model
  "$bertft" tokenize --model "$dir" --no-truncation --bench "$work/texts.jsonl" > "$work/$model.jsonl"
  node "$root/bench/tokenizer_bench.mjs" "$dir" "$work/texts.jsonl" >> "$work/$model.jsonl"
done

cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -n 1) (family $(lscpu | sed -n 's/^CPU family: *//p'), model $(lscpu | sed -n 's/^Model: *//p'))"
python3 - "$work" "$cpu" "${models[@]}" <<'PY'
import json, sys
work, cpu, models = sys.argv[1], sys.argv[2], sys.argv[3:]
kinds = {"bert-base-uncased": "WordPiece", "roberta-base": "byte-level BPE"}
names = {"encode_ids": "bertft encode_ids", "encode": "bertft encode (ids + tokens)",
         "tokenizers.js encode": "tokenizers.js 0.2.0 encode"}
tables = []
for model in models:
    rows = [json.loads(line) for line in open(f"{work}/{model}.jsonl")]
    ours, js = rows[:-1], rows[-1]
    if len({r["tokens"] for r in ours}) != 1:
        sys.exit(f"{model}: bertft's token counts differ: {[(r['mode'], r['tokens']) for r in ours]}")
    difference = js["tokens"] - ours[0]["tokens"]
    if difference != 0 and (model != "roberta-base" or abs(difference) > ours[0]["tokens"] / 1000):
        sys.exit(f"{model}: token counts differ, not comparable: {[(r['mode'], r['tokens']) for r in rows]}")
    tables.append((model, rows, difference))
r = tables[0][1][0]
print(f"tokenizer throughput: {r['texts']} IMDb train reviews, {r['bytes'] / 1e6:.1f} MB, 1 thread, best of 3, "
      f"{cpu}")
print(f"{'model':<32} {'implementation':<30} {'tokens':>9} {'MB/s':>7} {'Mtokens/s':>10} {'vs tokenizers.js':>17}")
for model, rows, difference in tables:
    js = rows[-1]["mb_per_s"]
    for r in rows:
        print(f"{model + ' (' + kinds.get(model, '?') + ')':<32} {names[r['mode']]:<30} {r['tokens']:>9} "
              f"{r['mb_per_s']:>7.1f} {r['tokens'] / r['seconds'] / 1e6:>10.2f} {r['mb_per_s'] / js:>16.1f}x")
    if difference:
        print(f"  ({model}: tokenizers.js gives {difference:+d} tokens, the documented U+0085 whitespace difference)")
wordpiece, bpe = (t[1][0]["mb_per_s"] for t in tables)
print(f"bertft encode_ids, byte-level BPE vs WordPiece: {bpe / wordpiece:.2f}x")
PY
