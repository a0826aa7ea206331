"""Fixtures of the bertft Python module's tests: the bertft binary (the command the module must agree
with), a small random model made by `bertft init`, and synthetic reviews from `bertft synth`.

Run by tests/integration/test_python_module (which installs the module into a temporary venv); by
hand: BERTFT=build/bertft python3 -m pytest tests/python, with the module installed."""
import json
import os
import subprocess

import pytest

SOURCE = os.environ.get("BERTFT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED_IMDB = os.path.normpath(os.path.join(SOURCE, "..", "shared", "data", "imdb", "aclImdb.tar.gz"))
# Small enough to train in seconds, big enough for windows and batches of several lengths.
TINY_CONFIG = {"model_type": "bert", "vocab_size": 4141, "hidden_size": 32, "num_hidden_layers": 2,
               "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 128}


def run_bertft(*args, ok=True, stdin=None):
    binary = os.environ.get("BERTFT")
    if not binary:
        pytest.skip("BERTFT (the bertft binary) is not set; run through ctest or set it")
    proc = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, input=stdin)
    if ok and proc.returncode != 0:
        raise AssertionError(f"bertft {' '.join(map(str, args))} failed: {proc.stderr}")
    return proc


def cli_error(*args):
    """The message `bertft args...` fails with, without its 'bertft: error: ' prefix."""
    proc = run_bertft(*args, ok=False)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bertft: error: "), proc.stderr
    return lines[0][len("bertft: error: "):]


@pytest.fixture(scope="session")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("bertft-python")


@pytest.fixture(scope="session")
def tiny_model(work):
    (work / "config.json").write_text(json.dumps(TINY_CONFIG))
    out = work / "tiny"
    run_bertft("init", "--config", work / "config.json", "--tokenizer", os.path.join(SOURCE, "models", "demo"),
               "--labels", "negative,positive", "--seed", "7", "--output", out)
    return str(out)


@pytest.fixture(scope="session")
def synth_file(work):
    path = work / "synth.jsonl"
    run_bertft("synth", "--n", "400", "--seed", "3", "--output", path)
    return str(path)


@pytest.fixture(scope="session")
def synth_records(synth_file):
    with open(synth_file, encoding="utf-8") as f:
        return [json.loads(line) for line in f]
