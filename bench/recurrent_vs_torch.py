#!/usr/bin/python3
"""Training-step speed of the recurrent baselines, bertft against PyTorch on the same CPU, side by side in
one run: one forward + backward (cross-entropy) of `bertft baseline --model lstm|bilstm-attention`'s
network (bertft baseline-grad-check --bench) and of the same nn.Module (tests/reference/torch_recurrent.py:
nn.LSTM over packed sequences), fp32, on a batch of 32 texts of 150-400 tokens (IMDb's lengths), same
threads. Prints one JSON line per model with ms per step and the ratio.

    python3 bench/recurrent_vs_torch.py [--threads 2] [--steps 10]"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
import torch  # noqa: E402

import hf_format  # noqa: E402
import torch_recurrent  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--steps", type=int, default=10)
parser.add_argument("--bertft", default=os.path.join(ROOT, "build", "bertft"))
args = parser.parse_args()
torch.set_num_threads(args.threads)
cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")

rng = random.Random(1)
VOCAB, B = 50000, 32
sequences = [[rng.randrange(2, VOCAB) for _ in range(rng.randrange(150, 401))] for _ in range(B)]
labels = [rng.randrange(2) for _ in range(B)]
tmp = tempfile.mkdtemp(prefix="bertft-rnn-bench-")
batch_file = os.path.join(tmp, "batch.jsonl")
with open(batch_file, "w") as f:
    for s, y in zip(sequences, labels):
        f.write(json.dumps({"ids": s, "label": y}) + "\n")
for kind in ("lstm", "bilstm-attention"):
    torch.manual_seed(0)
    model = torch_recurrent.RecurrentClassifier(kind, VOCAB, 128, 128, 1, 2, 128)
    weights = os.path.join(tmp, kind + ".safetensors")
    hf_format.save_safetensors(weights, {k: v.contiguous() for k, v in model.state_dict().items()})
    p = subprocess.run([args.bertft, "baseline-grad-check", "--weights", weights, "--input", batch_file, "--output",
                        os.path.join(tmp, "grads.safetensors"), "--bench", str(args.steps), "--threads",
                        str(args.threads)], capture_output=True, text=True, check=True)
    bertft_ms = float(re.search(r"([\d.]+) ms/step", p.stderr).group(1))
    tokens, lengths = torch_recurrent.batch(sequences)
    target = torch.tensor(labels)

    def step():
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(tokens, lengths), target).backward()

    step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    torch_ms = (time.perf_counter() - start) * 1000 / args.steps
    print(json.dumps({"model": kind, "cpu": cpu, "threads": args.threads, "batch": B,
                      "tokens": sum(len(s) for s in sequences), "bertft_ms_per_step": round(bertft_ms, 1),
                      "torch_ms_per_step": round(torch_ms, 1), "speedup": round(torch_ms / bertft_ms, 2),
                      "torch": torch.__version__}))
