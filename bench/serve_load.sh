#!/usr/bin/env bash
# Load benchmark: `bertft serve` against the server it replaces, a Flask app that runs a PyTorch
# BertForSequenceClassification per request (bench/flask_reference_server.py, under gunicorn's sync
# workers), on the same model directory, the same machine and the same cores.
#
#   bench/serve_load.sh [--model DIR] [--duration 20s] [--quick] [--out FILE] [--bertft PATH]
#                       [--compare PATH] [--flask-configs "1x2 2x1"] [--concurrency "1 8 64"]
#                       [--precision auto] [--compare-precision auto]
#
# For each input kind (short texts of ~20 tokens, reviews of ~300; a few distinct texts from
# bench/serve_load_inputs.json, rotated per request) and each server, the bench starts the server on a
# free loopback port, waits for /health, warms it up, runs `wrk -c N -t min(N,2) -d DURATION --latency`
# at each concurrency N, and stops the server. It prints a markdown table (requests/s, p50 and p99
# latency, non-2xx responses, bertft and the best Flask configuration side by side, bertft/flask
# ratios) and every run's numbers, and writes them with the settings used to --out (default:
# serve-load/serve_load.md beside the bertft binary).
#
# --model: default a randomly initialised classifier of the bundled models' architecture
#   (scripts/imdb-bert-config.json: 6 x 256, vocab 16,384, 512 positions, so that ~388-token reviews
#   fit) made with `bertft init`, with models/demo's tokenizer, as the measurements in docs/serving.md were made
#   (random weights time the same; the table gives the token counts).
# --duration: wrk's duration per run (default 20s); --quick: 3s runs and 1s warm-ups.
# --compare: another bertft binary (an earlier build) measured the same way beside --bertft, in a table
#   of its own with ratios (this build / the compared one); --flask-configs "" then skips Flask.
# --precision, --compare-precision: `bertft serve --precision` of --bertft and of --compare (default auto).
#   int8 against bf16 on one build: --precision int8 --compare build/bertft --compare-precision bf16.
# --flask-configs: the Flask deployments measured, WORKERSxTHREADS with WORKERS x THREADS = 2 cores:
#   gunicorn sync workers x torch.set_num_threads (OpenBLAS, on which Debian's torch runs fp32
#   matmuls, gets the same count). Default both "1x2" (one worker using both cores) and "2x1" (a
#   worker per core); the main table compares bertft with the better of them at each load. bertft
#   serve gets the same 2 cores as --threads 2.
# Each Flask configuration runs in whichever of fp32 and bf16 autocast is faster on the machine,
# measured per input kind before its runs (the output says which, with the timings).
#
# Needs (Debian): python3-torch python3-flask python3-gunicorn wrk curl. It installs nothing; see
# scripts/install-deps.sh, which lists them among the test packages.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=/usr/bin/python3
BERTFT="$ROOT/build/bertft"
MODEL=""
DURATION=""
QUICK=0
OUT=""
COMPARE=""
FLASK_CONFIGS="1x2 2x1"
CONCURRENCY="1 8 64"
SERVE_PRECISION=auto
COMPARE_PRECISION=auto
CORES=2
KINDS="short review"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --model|--duration|--out|--bertft|--compare|--flask-configs|--concurrency|--precision|--compare-precision)
      [ $# -ge 2 ] || { echo "serve_load.sh: $1 needs a value" >&2; exit 2; } ;;
  esac
  case "$1" in
    --model) MODEL="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --out) OUT="$2"; shift 2 ;;
    --bertft) BERTFT="$2"; shift 2 ;;
    --compare) COMPARE="$2"; shift 2 ;;
    --flask-configs) FLASK_CONFIGS="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    --precision) SERVE_PRECISION="$2"; shift 2 ;;
    --compare-precision) COMPARE_PRECISION="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "serve_load.sh: unknown option $1" >&2; usage 2 ;;
  esac
done
WARMUP=3s
if [ "$QUICK" = 1 ]; then DURATION="${DURATION:-3s}"; WARMUP=1s; fi
DURATION="${DURATION:-20s}"
for config in $FLASK_CONFIGS; do
  if ! [[ "$config" =~ ^([0-9]+)x([0-9]+)$ ]] || [ $((BASH_REMATCH[1] * BASH_REMATCH[2])) -ne "$CORES" ]; then
    echo "serve_load.sh: --flask-configs: '$config' is not WORKERSxTHREADS using $CORES cores (1x2, 2x1)" >&2
    exit 2
  fi
done

# --- dependencies: check, never install -------------------------------------------------------------
missing=()
[ -x "$PY" ] || missing+=(python3)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ -x "$PY" ]; then
  "$PY" -c 'import torch' 2>/dev/null || missing+=(python3-torch)
  "$PY" -c 'import flask' 2>/dev/null || missing+=(python3-flask)
  "$PY" -c 'import gunicorn' 2>/dev/null || missing+=(python3-gunicorn)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "serve_load.sh: missing ${missing[*]}; install with: sudo apt-get install ${missing[*]}" >&2
  echo "  (or: bash scripts/install-deps.sh, which installs every test and bench package)" >&2
  exit 2
fi
if [ ! -x "$BERTFT" ]; then
  echo "serve_load.sh: no bertft binary at $BERTFT (build it, or pass --bertft PATH)" >&2
  exit 2
fi
BERTFT="$(cd "$(dirname "$BERTFT")" && pwd)/$(basename "$BERTFT")"
if [ -n "$COMPARE" ]; then
  [ -x "$COMPARE" ] || { echo "serve_load.sh: --compare: no bertft binary at $COMPARE" >&2; exit 2; }
  COMPARE="$(cd "$(dirname "$COMPARE")" && pwd)/$(basename "$COMPARE")"
fi

WORK="$(dirname "$BERTFT")/serve-load"
OUT="${OUT:-$WORK/serve_load.md}"
mkdir -p "$WORK/logs" "$(dirname "$OUT")"
rm -f "$WORK"/reply-*.json
RESULTS="$WORK/results.tsv"

# --- cleanup: whatever this script started, on any exit ---------------------------------------------
SERVER_PID=""
WRK_PID=""
# Servers run under setsid, in a process group of their own (gunicorn's workers included), which is
# what stop_server signals: TERM (both drain and exit), then KILL after 10 s.
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM -- "-$SERVER_PID" 2>/dev/null || kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 -- "-$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
cleanup() {
  [ -z "$WRK_PID" ] || { kill -TERM "$WRK_PID" 2>/dev/null || true; wait "$WRK_PID" 2>/dev/null || true; }
  stop_server
}
trap cleanup EXIT
trap 'echo "serve_load.sh: interrupted; stopping the server" >&2; exit 130' INT
trap 'echo "serve_load.sh: terminated; stopping the server" >&2; exit 143' TERM

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_healthy() {  # port, log
  for _ in $(seq 1 1200); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "serve_load.sh: the server exited before answering /health; its log ($2):" >&2
      tail -20 "$2" >&2
      exit 1
    fi
    curl -sf -o /dev/null "http://127.0.0.1:$1/health" && return 0
    sleep 0.1
  done
  echo "serve_load.sh: no /health answer within 120 s; see $2" >&2
  exit 1
}

run_wrk() {  # port, concurrency, duration, bodies, output file
  local threads=$(( $2 < 2 ? $2 : 2 ))
  wrk -c "$2" -t "$threads" -d "$3" --timeout 30s --latency -s "$ROOT/bench/serve_load.lua" \
    "http://127.0.0.1:$1" -- "$4" > "$5" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || { echo "serve_load.sh: wrk failed; see $5" >&2; cat "$5" >&2; exit 1; }
  WRK_PID=""
}

# Wait until the server has answered what the last wrk run left behind: wrk stops with requests still
# queued (at c=64, up to 63 of them in a sync worker's accept queue), and the next run must not wait for them.
settle() {  # server, port
  if [[ "$1" == bertft* ]]; then
    for _ in $(seq 1 3000); do
      [ "$(curl -sf "http://127.0.0.1:$2/metrics" | awk '$1 == "bertft_requests_in_flight" { print $2 }')" = 0 ] && return 0
      sleep 0.1
    done
  else
    # Workers take connections in arrival order: /health is answered once everything before it was taken.
    local workers="${1#flask-}"; workers="${workers%x*}"
    for _ in $(seq 1 "$workers"); do curl -sf -o /dev/null --max-time 600 "http://127.0.0.1:$2/health" || break; done
    return 0
  fi
  echo "serve_load.sh: warning: $1 still busy after 300 s" >&2
}

warm_up() {  # server, port, bodies, wrk output file, reply file
  # Every body twice, one at a time (first requests of each length pay for allocations and, in PyTorch,
  # oneDNN's kernel generation), then a short wrk run. The reply to the first body is kept, to check
  # that the servers agree.
  local body
  curl -sf --max-time 600 -H 'Content-Type: application/json' -d "$(head -1 "$3")" \
    "http://127.0.0.1:$2/predict" > "$5" || { echo "serve_load.sh: warm-up request to $1 failed" >&2; exit 1; }
  for _ in 1 2; do
    while IFS= read -r body; do
      curl -sf -o /dev/null --max-time 600 -H 'Content-Type: application/json' -d "$body" \
        "http://127.0.0.1:$2/predict" || { echo "serve_load.sh: warm-up request to $1 failed" >&2; exit 1; }
    done < "$3"
  done
  run_wrk "$2" 2 "$WARMUP" "$3" "$4"
  settle "$1" "$2"
}

field() { sed -n 's/.*[[:space:]]'"$1"'=\([^[:space:]]*\).*/\1/p' "$2" | tail -1; }

# --- the model -------------------------------------------------------------------------------------
MODEL_NOTE=""
if [ -z "$MODEL" ]; then
  MODEL="$WORK/random-imdb-bert-shape"
  rm -rf "$MODEL"
  "$BERTFT" init --config "$ROOT/scripts/imdb-bert-config.json" --tokenizer "$ROOT/models/demo" --output "$MODEL" \
    --labels negative,positive --seed 0 > "$WORK/logs/init.log" 2>&1 || { cat "$WORK/logs/init.log" >&2; exit 1; }
  MODEL_NOTE=" (random weights from \`bertft init\` of scripts/imdb-bert-config.json; tokenizer of models/demo)"
fi
MODEL="$(cd "$MODEL" && pwd)"
shape="$("$PY" -c 'import json, sys; c = json.load(open(sys.argv[1] + "/config.json"))
print("%d layers x %d hidden, %d heads, intermediate %d, vocab %d" % (c["num_hidden_layers"], c["hidden_size"],
      c["num_attention_heads"], c["intermediate_size"], c["vocab_size"]))' "$MODEL")"

# --- inputs: bodies, and the Python tokenizer's token counts checked against bertft's ---------------
INPUTS="$ROOT/bench/serve_load_inputs.json"
declare -A TOKENS
tok_out="$("$PY" "$ROOT/bench/serve_load_util.py" tokens "$INPUTS" "$MODEL" "$BERTFT")" || {
  echo "serve_load.sh: bench/bert_tokenizer.py disagrees with bertft tokenize (above); the comparison would be unfair" >&2
  exit 1
}
while read -r kind n; do TOKENS[$kind]=$n; done <<< "$tok_out"
for kind in $KINDS; do "$PY" "$ROOT/bench/serve_load_util.py" bodies "$INPUTS" "$kind" "$WORK"; done

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "serve_load.sh: model $MODEL ($shape); ${DURATION} per run; load average before: $load_start" >&2
printf 'server\tkind\ttokens\tconcurrency\trps\tp50_ms\tp99_ms\tmax_ms\tnon2xx\tsocket_errors\tstatuses\tprecision\tbatch\n' > "$RESULTS"

SERVERS="bertft"
[ -z "$COMPARE" ] || SERVERS+=" bertft-compare"
for config in $FLASK_CONFIGS; do SERVERS+=" flask-$config"; done
declare -A PRECISION PICK
for kind in $KINDS; do
  for server in $SERVERS; do
    port="$(free_port)"
    log="$WORK/logs/$server-$kind.log"
    if [[ "$server" == bertft* ]]; then
      binary="$BERTFT" precision="$SERVE_PRECISION"
      [ "$server" = bertft ] || { binary="$COMPARE"; precision="$COMPARE_PRECISION"; }
      setsid "$binary" serve --model "$MODEL" --host 127.0.0.1 --port "$port" --threads "$CORES" --precision "$precision" \
        > "$log" 2>&1 &
    else
      config="${server#flask-}"
      workers="${config%x*}"
      threads="${config#*x}"
      # This configuration's precision for this kind: the faster of fp32 and bf16 autocast, measured now.
      pick="$(OPENBLAS_NUM_THREADS="$threads" "$PY" "$ROOT/bench/flask_reference_server.py" --pick-precision \
                --model "$MODEL" --threads "$threads" --texts "$WORK/$kind.json" 2> "$WORK/logs/pick-$server-$kind.log" |
              tail -1)" || { cat "$WORK/logs/pick-$server-$kind.log" >&2; exit 1; }
      PICK[$server-$kind]="$pick"
      PRECISION[$server-$kind]="$(echo "$pick" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["precision"])')"
      OPENBLAS_NUM_THREADS="$threads" BENCH_MODEL="$MODEL" BENCH_THREADS="$threads" \
        BENCH_PRECISION="${PRECISION[$server-$kind]}" \
        setsid "$PY" -m gunicorn --chdir "$ROOT/bench" --workers "$workers" --bind "127.0.0.1:$port" \
        flask_reference_server:app > "$log" 2>&1 &
    fi
    SERVER_PID=$!
    wait_healthy "$port" "$log"
    if [[ "$server" == bertft* ]]; then
      PRECISION[$server-$kind]="$(curl -sf "http://127.0.0.1:$port/info" |
        "$PY" -c 'import json, sys; print(json.load(sys.stdin).get("model_dtype", "?"))')"
    fi
    warm_up "$server" "$port" "$WORK/$kind.bodies" "$WORK/logs/wrk-$server-$kind-warmup.txt" \
      "$WORK/reply-$server-$kind.json"
    for c in $CONCURRENCY; do
      out="$WORK/logs/wrk-$server-$kind-c$c.txt"
      batch="-"
      [[ "$server" == bertft* ]] && curl -sf "http://127.0.0.1:$port/metrics" > "$WORK/metrics-before.txt"
      run_wrk "$port" "$c" "$DURATION" "$WORK/$kind.bodies" "$out"
      settle "$server" "$port"
      if [[ "$server" == bertft* ]]; then
        curl -sf "http://127.0.0.1:$port/metrics" > "$WORK/metrics-after.txt"
        batch="$("$PY" "$ROOT/bench/serve_load_util.py" metrics "$WORK/metrics-before.txt" "$WORK/metrics-after.txt")"
      fi
      if ! grep -q '^serve_load ' "$out"; then
        echo "serve_load.sh: no result line from wrk; see $out" >&2; cat "$out" >&2; exit 1
      fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$kind" "${TOKENS[$kind]}" "$c" \
        "$(field rps "$out")" "$(field p50_ms "$out")" "$(field p99_ms "$out")" "$(field max_ms "$out")" \
        "$(field non2xx "$out")" "$(field socket_errors "$out")" "$(field statuses "$out")" \
        "${PRECISION[$server-$kind]}" "$batch" >> "$RESULTS"
      echo "serve_load.sh: $server $kind c=$c: $(field rps "$out") req/s, p50 $(field p50_ms "$out") ms," \
        "p99 $(field p99_ms "$out") ms, non-2xx $(field non2xx "$out")" >&2
    done
    stop_server
  done
done
others=()
for server in $SERVERS; do [ "$server" = bertft ] || for kind in $KINDS; do others+=("reply-$server-$kind.json"); done; done
agreement="$(cd "$WORK" && "$PY" "$ROOT/bench/serve_load_util.py" agree $(for kind in $KINDS; do echo "reply-bertft-$kind.json"; done) -- "${others[@]}")" || {
  echo "serve_load.sh: the servers disagree: $agreement" >&2; exit 1; }
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- report ----------------------------------------------------------------------------------------
versions="$("$PY" -c 'import torch, flask, gunicorn; print("PyTorch %s, Flask %s, gunicorn %s" % (torch.__version__, flask.__version__, gunicorn.__version__))' 2>/dev/null)"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
{
  echo "## bertft serve vs Flask + PyTorch under load"
  echo
  echo "- When: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores ($cpu); load average before $load_start, after $load_end."
  echo "- **Server and wrk share the same $CORES cores** (no pinning, loopback): the deployment being measured."
  echo "  Other processes running on the machine compete too; the load averages above say how much."
  echo "- Model: \`$MODEL\`$MODEL_NOTE: $shape."
  echo "- Inputs: one text per request, \`{\"inputs\": TEXT, \"truncate\": true}\`, rotating over the distinct texts of"
  echo "  bench/serve_load_inputs.json per kind; token counts (incl. [CLS]/[SEP]) are bertft's, and the Flask"
  echo "  server's Python tokenizer gives the same count on every input (checked each run)."
  echo "- bertft: \`bertft serve --threads $CORES --precision $SERVE_PRECISION\` (${PRECISION[bertft-short]}), default batching (--max-batch-tokens 16384, --max-concurrent 512)."
  [ -z "$COMPARE" ] || echo "- Compared build (--compare): \`$COMPARE\`, run the same way with \`--precision $COMPARE_PRECISION\` (${PRECISION[bertft-compare-short]})."
  echo "- Flask: bench/flask_reference_server.py under gunicorn ($versions), \`--workers W\` sync workers with"
  echo "  torch.set_num_threads(T) each, as WxT: one request at a time per worker, tokenize (plain Python) + forward"
  echo "  per request. Sync workers close the connection after each response, so wrk reconnects each time: that is"
  echo "  part of this deployment. Precision, the faster of fp32 and bf16 autocast per configuration and input kind"
  echo "  (ms per input, best of 3 rounds, measured before the runs; tokenize_ms is the Python tokenizer's share):"
  for server in $SERVERS; do
    [[ "$server" == flask-* ]] || continue
    for kind in $KINDS; do
      echo "  - ${server#flask-} $kind: **${PRECISION[$server-$kind]}** ${PICK[$server-$kind]}"
    done
  done
  echo "- Same model, same answers: $agreement."
  echo "- Load: \`wrk -c N -t min(N,2) -d $DURATION --timeout 30s --latency\`, closed loop (each connection sends its next"
  echo "  request when the previous one is answered), after a warm-up (each text twice, then wrk -c 2 for $WARMUP);"
  echo "  between runs the server first answers whatever the previous run left queued."
  echo "- flask = the Flask configuration with the most requests/s at that input and concurrency (named in the"
  echo "  table; every run is listed below it). Ratios are bertft / flask: req/s above 1 and p99 below 1 favour bertft."
  echo
  "$PY" "$ROOT/bench/serve_load_util.py" table "$RESULTS"
} > "$OUT"
cat "$OUT"
echo >&2
echo "serve_load.sh: written to $OUT (raw: $RESULTS, wrk outputs and server logs: $WORK/logs)" >&2
