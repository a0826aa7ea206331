"""The bertft Python module against the bertft command it wraps: the same tokens, probabilities,
training losses, metrics and error messages; HF's output shapes; the GIL released; no leak; Ctrl-C."""
import json
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
import threading
import time

import numpy as np
import pytest

import bertft
from conftest import SHARED_IMDB, SOURCE, cli_error, run_bertft

THREADS = 2


def cli_predict(model, texts, work, precision, name):
    path = work / f"{name}.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    out = run_bertft("predict", "--model", model, "--input", path, "--precision", precision, "--threads", THREADS)
    return np.array([list(json.loads(line)["probs"].values()) for line in out.stdout.splitlines()], dtype=np.float64)


def imdb_reviews(n):
    """n reviews of IMDb's test split (half positive, half negative), read from ../shared."""
    per_class = {"pos": [], "neg": []}
    with tarfile.open(SHARED_IMDB, "r:gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            if len(parts) == 4 and parts[1] == "test" and parts[2] in per_class and member.name.endswith(".txt"):
                if len(per_class[parts[2]]) < n // 2:
                    per_class[parts[2]].append(archive.extractfile(member).read().decode("utf-8"))
                if all(len(v) >= n // 2 for v in per_class.values()):
                    break
    return per_class["pos"] + per_class["neg"]


# --- Classifier: the probabilities of `bertft predict` -------------------------------------------

@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8"])
def test_predict_proba_equals_cli_on_synthetic_reviews(tiny_model, synth_records, work, precision):
    texts = [r["text"] for r in synth_records[:200]]
    clf = bertft.Classifier(tiny_model, precision=precision, threads=THREADS)
    ours = clf.predict_proba(texts)
    assert ours.shape == (200, 2) and ours.dtype == np.float32
    theirs = cli_predict(tiny_model, texts, work, precision, f"synth-{precision}")
    assert np.abs(ours - theirs).max() <= 1e-6


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_predict_proba_equals_cli_on_imdb(tiny_model, work, precision):
    if not os.path.exists(SHARED_IMDB):
        pytest.skip(f"IMDb is not there ({SHARED_IMDB}); the synthetic-review case covers the same")
    texts = imdb_reviews(200)
    assert len(texts) == 200
    clf = bertft.Classifier(tiny_model, precision=precision, threads=THREADS)
    ours = clf.predict_proba(texts)
    theirs = cli_predict(tiny_model, texts, work, precision, f"imdb-{precision}")
    assert np.abs(ours - theirs).max() <= 1e-6


def test_chunks_and_logits_equal_cli(tiny_model, synth_records, work):
    texts = [" ".join(r["text"] for r in synth_records[i:i + 8]) for i in range(0, 80, 8)]  # longer than 48 tokens
    clf = bertft.Classifier(tiny_model, precision="fp32", threads=THREADS, max_length=48, truncation="chunks")
    path = work / "long.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    out = run_bertft("predict", "--model", tiny_model, "--input", path, "--precision", "fp32", "--threads", THREADS,
                     "--max-length", 48, "--truncation", "chunks")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert np.abs(clf.predict_proba(texts) - np.array([list(x["probs"].values()) for x in lines])).max() <= 1e-6
    assert np.abs(clf.logits(texts) - np.array([x["logits"] for x in lines])).max() <= 1e-5
    assert [p["label"] for p in clf.predict(texts)] == [x["label"] for x in lines]


def test_classifier_properties(tiny_model):
    clf = bertft.Classifier(tiny_model, precision="fp32", threads=1)
    assert clf.labels == ["negative", "positive"]
    assert clf.config["hidden_size"] == 32 and clf.config["id2label"] == {"0": "negative", "1": "positive"}
    assert clf.max_length == 128 and clf.truncation == "head" and clf.strip_html is False
    bundled = bertft.Classifier(os.path.join(SOURCE, "models", "imdb-sentiment"), threads=1)
    assert (bundled.max_length, bundled.truncation, bundled.strip_html) == (128, "chunks (32 tokens overlap)", True)
    assert "predict" in bertft.Classifier.__doc__ and "precision" in bertft.Classifier.__doc__
    single = clf.predict_proba("a fine film")
    assert single.shape == (2,) and abs(float(single.sum()) - 1) < 1e-6
    pair = clf.predict({"text": "a fine film", "text_pair": "or not"})
    assert set(pair) == {"label", "score"}


def test_ensemble_equals_cli(tiny_model, synth_records, synth_file, work):
    other = work / "tiny-other"
    run_bertft("init", "--config", work / "config.json", "--tokenizer", os.path.join(SOURCE, "models", "demo"),
               "--labels", "negative,positive", "--seed", "8", "--output", other)
    texts = [r["text"] for r in synth_records[:60]]
    clf = bertft.Classifier([tiny_model, other], precision="fp32", threads=THREADS, model_weights=[3, 1])
    assert [(m["model_dir"], m["weight"]) for m in clf.models] == [(tiny_model, 0.75), (str(other), 0.25)]
    path = work / "ensemble.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    out = run_bertft("predict", "--model", tiny_model, "--model", other, "--model-weights", "3,1", "--input", path,
                     "--precision", "fp32", "--threads", THREADS)
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    probs = clf.predict_proba(texts)
    assert np.abs(probs - np.array([list(x["probs"].values()) for x in lines])).max() <= 1e-6
    assert np.abs(clf.logits(texts) - np.array([x["logits"] for x in lines])).max() <= 1e-5
    members = [bertft.Classifier(m, precision="fp32", threads=THREADS).predict_proba(texts) for m in (tiny_model, other)]
    assert np.abs(probs - (0.75 * members[0] + 0.25 * members[1])).max() <= 1e-6
    assert np.abs(members[0] - members[1]).max() > 1e-3  # the models differ: the weights matter
    metrics = bertft.evaluate([tiny_model, other], synth_file, model_weights=[3, 1], precision="fp32", threads=THREADS)
    cli = run_bertft("eval", "--model", tiny_model, other, "--model-weights", "3,1", "--data", synth_file,
                     "--precision", "fp32", "--threads", THREADS)
    assert metrics == json.loads(cli.stdout) and [m["weight"] for m in metrics["models"]] == [0.75, 0.25]
    with pytest.raises(bertft.Error) as caught:
        bertft.Classifier([tiny_model, other], model_weights=[1, -1])
    assert str(caught.value) == cli_error("predict", "--model", tiny_model, "--model", other, "--model-weights", "1,-1",
                                          "--text", "x")


# --- pipeline: Hugging Face's output shapes -------------------------------------------------------

def test_pipeline_shapes(tiny_model):
    pipe = bertft.pipeline("text-classification", model=tiny_model, precision="fp32", threads=1)
    one = pipe("a fine film")
    assert isinstance(one, list) and len(one) == 1 and set(one[0]) == {"label", "score"}
    two = pipe(["a fine film", "a dull film"])
    assert isinstance(two, list) and len(two) == 2 and all(set(d) == {"label", "score"} for d in two)
    every = pipe("a fine film", top_k=None)
    assert [type(d) for d in every] == [dict, dict] and every[0]["score"] >= every[1]["score"]
    assert {d["label"] for d in every} == {"negative", "positive"}
    assert abs(sum(d["score"] for d in every) - 1) < 1e-6
    nested = pipe(["a fine film", "a dull film"], top_k=None)
    assert len(nested) == 2 and all(isinstance(x, list) and len(x) == 2 for x in nested)
    top1 = pipe("a fine film", top_k=1)
    assert isinstance(top1, list) and len(top1) == 1 and isinstance(top1[0], dict)
    assert pipe(["a fine film"], top_k=1) == [[top1[0]]]
    assert one[0] == top1[0] == every[0]
    sentiment = bertft.pipeline("sentiment-analysis", model=tiny_model, threads=1)
    assert sentiment("a fine film")[0]["label"] == one[0]["label"]
    with pytest.raises(bertft.Error):
        bertft.pipeline("summarization", model=tiny_model)


def test_predict_shapes(tiny_model):
    clf = bertft.Classifier(tiny_model, precision="fp32", threads=1)
    assert set(clf.predict("a fine film")) == {"label", "score"}
    assert len(clf.predict(["a", "b", "c"])) == 3
    every = clf.predict("a fine film", top_k=None)
    assert len(every) == 2 and every[0]["score"] >= every[1]["score"]
    assert [len(x) for x in clf.predict(["a", "b"], top_k=None)] == [2, 2]


# --- Tokenizer: the ids of `bertft tokenize` ------------------------------------------------------

def test_tokenizer_equals_cli(synth_records, work):
    model = os.path.join(SOURCE, "models", "demo")
    records = [{"text": r["text"]} for r in synth_records[:100]]
    records += [{"text": "Héllo, WORLD!! naïve café", "text_pair": "second   segment?"},
                {"text": ""}, {"text": "x " * 400}, {"text": "[CLS] literal [SEP] tokens [MASK]"}]
    out = run_bertft("tokenize", "--model", model, stdin="".join(json.dumps(r) + "\n" for r in records))
    expected = [json.loads(line) for line in out.stdout.splitlines()]
    tok = bertft.Tokenizer(model)
    for record, want in zip(records, expected, strict=True):
        got = tok.encode(record["text"], record.get("text_pair"))
        assert (got.ids, got.type_ids, got.tokens) == (want["ids"], want["type_ids"], want["tokens"])
        assert got.attention_mask == [1] * len(got.ids)


def test_tokenizer_call_pads_like_hf(synth_records):
    tok = bertft.Tokenizer(os.path.join(SOURCE, "models", "demo"))
    texts = [r["text"] for r in synth_records[:5]] + ["short"]
    batch = tok(texts)
    assert set(batch) == {"input_ids", "token_type_ids", "attention_mask"}
    longest = max(len(tok.encode(t)) for t in texts)
    for key in batch:
        assert batch[key].dtype == np.int64 and batch[key].shape == (len(texts), longest)
    for row, text in enumerate(texts):
        e = tok.encode(text)
        n = len(e.ids)
        assert batch["input_ids"][row, :n].tolist() == e.ids
        assert (batch["input_ids"][row, n:] == tok.pad_token_id).all()
        assert batch["token_type_ids"][row].tolist() == e.type_ids + [0] * (longest - n)
        assert batch["attention_mask"][row].tolist() == [1] * n + [0] * (longest - n)
    assert tok("one text")["input_ids"].shape == (1, len(tok.encode("one text")))
    assert tok(texts, padding="max_length", max_length=40)["input_ids"].shape == (len(texts), 40)
    assert tok(texts, max_length=8)["input_ids"].shape == (len(texts), 8)
    assert tok(texts, truncation=False, padding=False, return_tensors=None)["input_ids"][5] == tok.encode("short").ids
    pairs = tok(["a b", "c"], text_pair=["d", "e f g"])
    assert pairs["token_type_ids"][0].tolist() == tok.encode("a b", "d").type_ids + [0]
    with pytest.raises(bertft.Error, match="padding"):
        tok(texts, padding=False)


# --- train / evaluate: the command's results in-process -------------------------------------------

TRAIN_OPTIONS = {"epochs": 2, "batch_size": 16, "learning_rate": 1e-3, "max_length": 48, "seed": 11,
                 "threads": THREADS, "eval_strategy": "steps", "eval_steps": 5, "precision": "fp32"}


def cli_args(options):
    args = []
    for key, value in options.items():
        args += ["--" + key.replace("_", "-"), str(value)]
    return args


def test_train_equals_cli_and_callback_gets_every_step(tiny_model, synth_records, synth_file, work):
    train_path, valid_path = work / "train.jsonl", work / "valid.jsonl"
    train_path.write_text("".join(json.dumps(r) + "\n" for r in synth_records[:160]))
    valid_path.write_text("".join(json.dumps(r) + "\n" for r in synth_records[300:340]))
    out = run_bertft("train", "--model", tiny_model, "--train", train_path, "--valid", valid_path,
                     "--output", work / "cli-run", "--log", work / "cli-run.jsonl", *cli_args(TRAIN_OPTIONS))
    cli_summary = json.loads(out.stdout)
    cli_log = [json.loads(line) for line in open(work / "cli-run.jsonl")]

    events = []
    summary = bertft.train(model=tiny_model, train=synth_records[:160], valid=synth_records[300:340],
                           output=str(work / "py-run"), callback=events.append, **TRAIN_OPTIONS)
    assert summary["global_step"] == cli_summary["global_step"] == 20
    assert summary["valid_accuracy"] == cli_summary["valid_accuracy"]
    steps = [e for e in events if "loss" in e]
    assert [e["step"] for e in steps] == list(range(1, 21))  # every optimizer step
    assert [e["step"] for e in events if "eval_loss" in e] == [5, 10, 15, 20]
    cli_steps = [e for e in cli_log if "loss" in e]
    assert [e["loss"] for e in steps] == [e["loss"] for e in cli_steps]
    assert [e["learning_rate"] for e in steps] == [e["learning_rate"] for e in cli_steps]
    assert [e.get("eval_accuracy") for e in events] == [e.get("eval_accuracy") for e in cli_log]
    metrics = bertft.evaluate(str(work / "py-run"), str(valid_path), threads=THREADS, precision="fp32")
    cli_metrics = json.loads(run_bertft("eval", "--model", work / "py-run", "--data", valid_path, "--threads",
                                        THREADS, "--precision", "fp32").stdout)
    assert metrics == cli_metrics and metrics["accuracy"] == summary["valid_accuracy"]
    assert bertft.evaluate(str(work / "py-run"), synth_records[300:340], threads=THREADS,
                           precision="fp32") == cli_metrics
    int8_metrics = bertft.evaluate(str(work / "py-run"), str(valid_path), threads=THREADS, precision="int8")
    assert int8_metrics == json.loads(run_bertft("eval", "--model", work / "py-run", "--data", valid_path, "--threads",
                                                 THREADS, "--precision", "int8").stdout)
    # False spells a switch off (--no-header=false): the same as leaving it out; True turns it on.
    csv_path = work / "valid.csv"
    csv_path.write_text("text,label\n" + "".join('"%s",%s\n' % (r["text"].replace('"', '""'), r["label"])
                                                 for r in synth_records[300:340]), encoding="utf-8")
    assert bertft.evaluate(str(work / "py-run"), str(csv_path), threads=THREADS, precision="fp32",
                           no_header=False) == cli_metrics
    with pytest.raises(bertft.Error, match="--no-header needs --text-column and --label-column"):
        bertft.evaluate(str(work / "py-run"), str(csv_path), threads=THREADS, no_header=True)


def test_pooled_model_trains_and_predicts_as_cli(tiny_model, synth_records, work):
    """train(pooling="mean") saves classifier_pooling, and Classifier reads the model as predict does
    (test_pooling checks predict against PyTorch), windows included."""
    out = work / "py-mean"
    bertft.train(model=tiny_model, train=synth_records[:64], output=str(out), pooling="mean", max_steps=3,
                 batch_size=16, max_length=48, eval_strategy="no", threads=THREADS, precision="fp32")
    assert json.loads((out / "config.json").read_text())["classifier_pooling"] == "mean"
    texts = [" ".join(r["text"] for r in synth_records[i:i + 4]) for i in range(100, 140, 4)]
    path = work / "pooled.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    for options in ([], ["--truncation", "chunks"]):
        clf = bertft.Classifier(str(out), precision="fp32", threads=THREADS,
                                **({"truncation": "chunks"} if options else {}))
        cli = run_bertft("predict", "--model", out, "--input", path, "--precision", "fp32", "--threads", THREADS,
                         *options)
        lines = [json.loads(line) for line in cli.stdout.splitlines()]
        assert np.abs(clf.logits(texts) - np.array([x["logits"] for x in lines])).max() <= 1e-5
    assert clf.config["classifier_pooling"] == "mean"


def test_errors_carry_the_cli_messages(tiny_model, synth_file, work):
    cases = [
        (lambda: bertft.train(model=tiny_model, train=synth_file, output=str(work / "e1"), epochs="two"),
         ["train", "--model", tiny_model, "--train", synth_file, "--output", work / "e1", "--epochs", "two"]),
        (lambda: bertft.train(model=tiny_model, train=synth_file, output=str(work / "e2"), frobnicate=1),
         ["train", "--model", tiny_model, "--train", synth_file, "--output", work / "e2", "--frobnicate", "1"]),
        (lambda: bertft.train(model=tiny_model, train=synth_file, output=str(work / "e3"), eval_strategy="often"),
         ["train", "--model", tiny_model, "--train", synth_file, "--output", work / "e3", "--eval-strategy",
          "often"]),
        (lambda: bertft.train(model=str(work / "missing"), train=synth_file, output=str(work / "e4")),
         ["train", "--model", work / "missing", "--train", synth_file, "--output", work / "e4"]),
        (lambda: bertft.evaluate(tiny_model, str(work / "nope.jsonl")),
         ["eval", "--model", tiny_model, "--data", work / "nope.jsonl"]),
        (lambda: bertft.evaluate(tiny_model, synth_file, batch_size=0),
         ["eval", "--model", tiny_model, "--data", synth_file, "--batch-size", "0"]),
        (lambda: bertft.Classifier(str(work / "missing")),
         ["predict", "--model", work / "missing", "--text", "x"]),
        (lambda: bertft.Classifier(tiny_model, truncation="middle"),
         ["predict", "--model", tiny_model, "--text", "x", "--truncation", "middle"]),
        (lambda: bertft.Classifier(tiny_model, precision="fp8"),
         ["predict", "--model", tiny_model, "--text", "x", "--precision", "fp8"]),
    ]
    for call, args in cases:
        with pytest.raises(bertft.Error) as caught:
            call()
        assert isinstance(caught.value, ValueError)
        assert str(caught.value) == cli_error(*args), args


# --- the GIL, memory, Ctrl-C ----------------------------------------------------------------------

def test_other_threads_run_while_predict_runs(tiny_model, synth_records):
    clf = bertft.Classifier(tiny_model, precision="fp32", threads=1)
    texts = [r["text"] for r in synth_records] * 10
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(time.perf_counter())

    start = time.perf_counter()
    clf.predict_proba(texts)
    alone = time.perf_counter() - start
    counter = threading.Thread(target=count)
    counter.start()
    time.sleep(0.05)
    start = time.perf_counter()
    clf.predict_proba(texts)
    end = time.perf_counter()
    done.set()
    counter.join()
    during = [t for t in ticks if start <= t <= end]
    gaps = np.diff([start] + during + [end])
    # Holding the GIL, the counter would stop for the whole native call; released, it never waits long.
    assert len(during) > 1000 and gaps.max() < 0.5 * (end - start), (len(during), gaps.max(), end - start, alone)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_memory_does_not_grow_over_1000_predicts(tiny_model):
    clf = bertft.Classifier(tiny_model, precision="fp32", threads=1)
    texts = ["a fine film with a plot", "dull", "the acting is superb but the story is not"]
    for _ in range(100):
        clf.predict(texts)
    before = rss_bytes()
    for _ in range(1000):
        clf.predict(texts)
        clf.predict_proba(texts)
    grown = rss_bytes() - before
    assert grown < 2 * 1024 * 1024, f"RSS grew by {grown} bytes over 1000 predict calls"


def test_ctrl_c_stops_training_and_keeps_the_checkpoint(tiny_model, synth_file, work):
    output = work / "interrupted"
    options = dict(model=tiny_model, train=synth_file, output=str(output), epochs=50, batch_size=8, max_length=48,
                   save_steps=10, eval_strategy="no", threads=1, seed=3, precision="fp32")
    script = textwrap.dedent(f"""
        import bertft, sys
        try:
            bertft.train(**{options!r})
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(42)
        print("finished", flush=True)
    """)
    log = open(work / "interrupted.stderr", "w")  # a file: the progress line must not fill a pipe
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=log, text=True)
    deadline = time.time() + 300
    while not any(output.glob("checkpoint-*")) and time.time() < deadline and child.poll() is None:
        time.sleep(0.1)
    assert child.poll() is None, (child.communicate(), (work / "interrupted.stderr").read_text())
    child.send_signal(signal.SIGINT)
    sent = time.time()
    stdout, _ = child.communicate(timeout=60)
    assert child.returncode == 42 and stdout.strip() == "interrupted", (work / "interrupted.stderr").read_text()
    assert time.time() - sent < 10, "training went on after Ctrl-C"
    checkpoints = sorted(output.glob("checkpoint-*"))
    assert checkpoints and not list(output.glob("*.tmp*"))
    # The checkpoint loads, and training resumes from it to the end.
    assert bertft.Classifier(str(checkpoints[-1]), threads=1).predict_proba("fine").shape == (2,)
    summary = bertft.train(**{**options, "epochs": 1, "resume": True, "force": True})
    assert summary["global_step"] >= int(checkpoints[-1].name.split("-")[1])


@pytest.mark.parametrize("padding, max_length", [("longest", 16), ("longest", 512), ("max_length", 40)])
def test_tokenizer_call_equals_rust_tokenizers(synth_records, work, padding, max_length):
    """tokenizer(texts, padding=..., truncation=True, max_length=...) against the Rust tokenizers library
    configured the same way (tests/reference/pad_batch_ref.mjs)."""
    if subprocess.run(["node", "--version"], capture_output=True).returncode != 0:
        pytest.skip("node is not installed (the reference for padding)")
    model = os.path.join(SOURCE, "models", "imdb-sentiment")
    texts = [r["text"] for r in synth_records[:20]] + ["hi", "Héllo, WORLD!! naïve café"]
    request = json.dumps({"texts": texts, "padding": padding, "max_length": max_length})
    ref = subprocess.run(["node", os.path.join(SOURCE, "tests", "reference", "pad_batch_ref.mjs"), model],
                         input=request, capture_output=True, text=True)
    if ref.returncode != 0 and "Cannot find module" in ref.stderr:
        pytest.skip("the npm references are not installed (tests/reference/node_modules)")
    assert ref.returncode == 0, ref.stderr
    expected = json.loads(ref.stdout)
    batch = bertft.Tokenizer(model)(texts, padding=padding, truncation=True, max_length=max_length)
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert batch[key].tolist() == expected[key], key
