"""Shared by the tokenizer parity tests (tests/integration/test_tokenizer_parity for WordPiece with
bert-base-uncased, test_tokenizer_bpe_parity for byte-level BPE with roberta-base): `bertft tokenize`
against @huggingface/tokenizers (tests/reference/tokenize_ref.mjs) on IMDb reviews
(../shared/data/imdb/aclImdb.tar.gz, read in place: texts are the raw file contents decoded as UTF-8)
plus tricky synthetic strings.

  TEST          # sample: 2,000 reviews from train/test/unsup, 200 review pairs, synthetic
  TEST --all    # every review: train pos/neg, test pos/neg, unsup (100,000)

Checks, each on every input:
  1. ids, type_ids and tokens equal tokenizers.js's (bertft run with --no-truncation, as JS never truncates);
  2. the model's other files (vocab.txt, or vocab.json + merges.txt, with tokenizer_config.json) give
     the same output as tokenizer.json;
  3. the default truncation (512) equals Rust's longest-first applied to the untruncated ids.
bertft follows the Rust `tokenizers` library where tokenizers.js differs (src/tokenizer/tokenizer.h);
each test tolerates only its documented cases, each by an exact rewrite applied only where its trigger
occurs. Needs BERTFT (the binary) and BERTFT_SOURCE_DIR; exits 77 (skip) without ../shared, node or
node_modules.
"""
import dataclasses
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from typing import Callable, Optional

SPLITS = ["train/pos", "train/neg", "test/pos", "test/neg", "train/unsup"]


@dataclasses.dataclass
class Case:
    """One tokenizer under test."""
    model: str                    # directory under ../shared/models
    other_files: list             # the files of the second directory (without tokenizer.json)
    other_label: str              # e.g. "vocab.txt vs tokenizer.json"
    synthetic: list               # texts (invalid UTF-8 as surrogate escapes: "\udce9" is the byte 0xE9)
    synthetic_pairs: list         # (text, text_pair)
    separators_between: int       # special tokens between A and B in a pair: [SEP] 1, </s></s> 2
    # The record to give tokenize_ref.mjs for (text, pair), so that JS computes what Rust computes.
    js_record: Callable[[str, Optional[str]], dict]
    # The encoding Rust gives for (text, pair), from JS's, or None when no documented difference applies.
    rust_from_js: Callable[[dict, Optional[str]], Optional[dict]]


def skip(message):
    print(f"SKIP: {message}")
    sys.exit(77)


def read_reviews(archive, sample):
    """Returns [(name, text)]: every review, or for the sample 400 per split (half of them with
    non-ASCII characters where there are enough), evenly spaced in name order."""
    by_split = {s: [] for s in SPLITS}
    pattern = re.compile(r"aclImdb/(train/pos|train/neg|test/pos|test/neg|train/unsup)/[^/]+\.txt$")
    with tarfile.open(archive) as tar:
        for member in tar:
            m = pattern.match(member.name)
            if m and member.isfile():
                by_split[m.group(1)].append((member.name, tar.extractfile(member).read().decode("utf-8", "replace")))
    reviews = []
    for split in SPLITS:
        items = sorted(by_split[split])
        if not sample:
            reviews += items
            continue
        rich = [x for x in items if not x[1].isascii()]
        plain = [x for x in items if x[1].isascii()]
        k = min(200, len(rich))
        reviews += spaced(rich, k) + spaced(plain, 400 - k)
    return reviews


def spaced(items, k):
    return [items[i * len(items) // k] for i in range(k)] if k else []


def run(cmd, records, workdir, name):
    """Runs cmd with `records` as JSON Lines on stdin (surrogate escapes written as the invalid bytes
    they stand for); returns the path of its output."""
    path_in, path_out = os.path.join(workdir, name + ".in"), os.path.join(workdir, name + ".out")
    with open(path_in, "w", encoding="utf-8", errors="surrogateescape") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    with open(path_in, "rb") as fin, open(path_out, "wb") as fout:
        proc = subprocess.run(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        print(f"FAIL: {' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode(errors='replace').strip()}")
        sys.exit(1)
    return path_out


def record(text, pair):
    return {"text": text} if pair is None else {"text": text, "text_pair": pair}


def sanitized(text):
    """What bertft makes of a text with invalid UTF-8 (as surrogate escapes): each maximal invalid
    subpart replaced by U+FFFD, as Python's errors="replace" and bertft's sanitize_utf8 do."""
    return None if text is None else text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield line.rstrip("\n")
        yield None  # end marker: a missing or extra line shows up as a mismatch against it


def truncate_longest_first(a, b, max_len):
    """Rust tokenizers' truncate_encodings, LongestFirst (written again here from its source)."""
    if len(a) + (len(b) if b is not None else 0) <= max_len:
        return a, b
    if b is None:
        return a[:max_len], None
    n1, n2 = len(a), len(b)
    swap = n1 > n2
    if swap:
        n1, n2 = n2, n1
    n2 = n1 if n1 > max_len else max(n1, max_len - n1)
    if n1 + n2 > max_len:
        n1 = max_len // 2
        n2 = n1 + max_len % 2
    if swap:
        n1, n2 = n2, n1
    return a[:n1], b[:n2]


def expected_truncation(full, n_a, separators_between, is_pair, max_len):
    """full: an untruncated START A END or START A SEPARATORS B END encoding whose A has n_a tokens;
    returns its ids and type ids truncated to max_len (special tokens kept, A and B cut longest-first)."""
    ids, types = full["ids"], full["type_ids"]
    b_start = 1 + n_a + separators_between
    a = list(range(1, 1 + n_a))  # positions, so that ids and type ids are cut alike
    b = list(range(b_start, len(ids) - 1)) if is_pair else None
    specials = len(ids) - len(a) - (len(b) if is_pair else 0)
    a, b = truncate_longest_first(a, b, max_len - specials)
    kept = [0] + a + list(range(1 + n_a, b_start if is_pair else 1 + n_a + 1)) + (b + [len(ids) - 1] if is_pair else [])
    return [ids[i] for i in kept], [types[i] for i in kept]


def describe(i, label, text, got, want):
    k = next((j for j in range(min(len(got["ids"]), len(want["ids"]))) if got["ids"][j] != want["ids"][j]),
             min(len(got["ids"]), len(want["ids"])))
    if k == min(len(got["ids"]), len(want["ids"])) and len(got["ids"]) == len(want["ids"]):
        k = next((j for j in range(len(got["ids"])) if got["type_ids"][j] != want["type_ids"][j]), k)
    window = slice(max(0, k - 3), k + 5)

    def show(e):
        return (f"ids {e['ids'][window]} type_ids {e['type_ids'][window]}" +
                (f" tokens {e['tokens'][window]}" if "tokens" in e else ""))

    return (f"first mismatch: input {i} ({label}) {json.dumps(text[:200], ensure_ascii=False)}\n"
            f"  lengths bertft {len(got['ids'])} / expected {len(want['ids'])}; first difference at token {k}:\n"
            f"  bertft:   {show(got)}\n  expected: {show(want)}")


def main(case):
    full_run = "--all" in sys.argv[1:]
    source = os.environ.get("BERTFT_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    bertft = os.environ.get("BERTFT", os.path.join(source, "build", "bertft"))
    shared = os.path.join(source, "..", "shared")
    model = os.path.join(shared, "models", case.model)
    archive = os.path.join(shared, "data", "imdb", "aclImdb.tar.gz")
    reference = os.path.join(source, "tests", "reference", "tokenize_ref.mjs")
    if not os.path.isfile(os.path.join(model, "tokenizer.json")) or not os.path.isfile(archive):
        skip(f"../shared not found (need {model} and {archive})")
    if subprocess.run(["node", "--version"], capture_output=True).returncode != 0:
        skip("node not found (apt-get install nodejs)")
    if not os.path.isdir(os.path.join(source, "tests", "reference", "node_modules", "@huggingface", "tokenizers")):
        skip("tests/reference/node_modules not found (cd tests/reference && npm ci)")

    reviews = read_reviews(archive, sample=not full_run)
    inputs = [(text, None) for _, text in reviews]
    labels = [name for name, _ in reviews]
    if not full_run:
        for i in range(0, 400, 2):
            inputs.append((reviews[i][1], reviews[i + 1][1]))
            labels.append(f"pair {reviews[i][0]} + {reviews[i + 1][0]}")
    for text in case.synthetic:
        inputs.append((text, None))
        labels.append("synthetic")
    for text, pair in case.synthetic_pairs:
        inputs.append((text, pair))
        labels.append("synthetic pair")

    n = len(inputs)
    failures = {"tokenizers.js": [], "other files": [], "truncation": []}
    rewritten = 0
    with tempfile.TemporaryDirectory() as work:
        other_dir = os.path.join(work, "other-model")
        os.mkdir(other_dir)
        for name in case.other_files:
            os.symlink(os.path.join(os.path.abspath(model), name), os.path.join(other_dir, name))
        clean = [(sanitized(t), sanitized(p)) for t, p in inputs]
        js_records = [case.js_record(t, p) for t, p in clean]
        outputs = [run(["node", reference, model], js_records, work, "js"),
                   run([bertft, "tokenize", "--model", model, "--no-truncation"],
                       [record(t, p) for t, p in inputs], work, "bertft"),
                   run([bertft, "tokenize", "--model", other_dir, "--no-truncation"],
                       [record(t, p) for t, p in inputs], work, "other"),
                   run([bertft, "tokenize", "--model", model], [record(t, p) for t, p in inputs], work, "default")]
        # Streamed, compared as text first (both sides write compact JSON) and parsed only to
        # confirm or explain a difference: 4 x 100,000 parsed encodings would take gigabytes.
        streams = zip(*(read_lines(path) for path in outputs))
        for i, ((text, pair), label) in enumerate(zip(clean, labels)):
            js_line, ours, ours_other, ours_512 = next(streams)
            if None in (js_line, ours, ours_other, ours_512):
                print(f"FAIL: an output has fewer lines than the {n} inputs: {outputs}")
                sys.exit(1)
            js = json.loads(js_line)
            want = case.rust_from_js(js, pair)
            if want is not None or js_records[i] != record(text, pair):
                rewritten += 1
            full = json.loads(ours)
            if ours != js_line and full != (want or js):
                failures["tokenizers.js"].append(describe(i, label, text, full, want or js))
                failures["truncation"].append(f"input {i} not checked: its encoding differs from tokenizers.js's")
                continue
            if ours_other != ours:
                failures["other files"].append(describe(i, label, text, json.loads(ours_other), full))
            # A's length from tokenizers.js's type ids (0 up to A's closing token): bertft's may all be 0.
            n_a = js["type_ids"].count(0) - 2
            ids, types = expected_truncation(full, n_a, case.separators_between, pair is not None, 512)
            if ids != full["ids"] or ours_512 != ours:
                got = json.loads(ours_512)
                if got["ids"] != ids or got["type_ids"] != types:
                    failures["truncation"].append(describe(i, label, text, got, {"ids": ids, "type_ids": types}))
        if next(streams) != (None, None, None, None):
            print(f"FAIL: an output has more lines than the {n} inputs: {outputs}")
            sys.exit(1)

    print(f"tokenizer parity: {n - len(failures['tokenizers.js'])}/{n} identical to tokenizers.js "
          f"({len(reviews)} reviews, {rewritten} inputs through a documented Rust-vs-JS rewrite)")
    print(f"config paths: {n - len(failures['other files'])}/{n} identical ({case.other_label})")
    print(f"truncation: {n - len(failures['truncation'])}/{n} match longest-first at 512")
    bad = False
    for check, found in failures.items():
        if found:
            bad = True
            print(f"FAIL {check}: {len(found)} mismatches; {found[0]}")
    sys.exit(1 if bad else 0)
