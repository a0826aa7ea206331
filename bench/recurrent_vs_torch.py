#!/usr/bin/python3
"""Training-step speed of the recurrent baselines, bertft against PyTorch on the same CPU, side by side in
one run: one forward + backward (cross-entropy) of `bertft baseline --model lstm|bilstm-attention`'s
network (bertft baseline-grad-check --bench) and of the same nn.Module (tests/reference/torch_recurrent.py:
nn.LSTM over packed sequences), on a batch of 32 texts of 150-400 tokens (IMDb's lengths), same threads;
bertft in fp32 and bf16 (--precision), PyTorch in fp32 and under torch.autocast(bfloat16) (which, in
PyTorch 1.13, leaves nn.LSTM in fp32). Prints one JSON line per model with ms per step and the ratios.

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
cpuinfo = {}
for line in open("/proc/cpuinfo"):
    key, _, value = line.partition(":")
    cpuinfo.setdefault(key.strip(), value.strip())
cpu = f"{cpuinfo.get('model name', '?')}, family {cpuinfo.get('cpu family', '?')} model {cpuinfo.get('model', '?')}"

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

    def bertft_ms(precision):
        p = subprocess.run([args.bertft, "baseline-grad-check", "--weights", weights, "--input", batch_file, "--output",
                            os.path.join(tmp, "grads.safetensors"), "--bench", str(args.steps), "--threads",
                            str(args.threads), "--precision", precision], capture_output=True, text=True, check=True)
        return float(re.search(r"([\d.]+) ms/step", p.stderr).group(1))

    tokens, lengths = torch_recurrent.batch(sequences)
    target = torch.tensor(labels)

    def torch_ms(autocast):
        def step():
            model.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                loss = torch.nn.functional.cross_entropy(model(tokens, lengths), target)
            loss.backward()

        step()
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        return (time.perf_counter() - start) * 1000 / args.steps

    times = {"bertft_fp32": bertft_ms("fp32"), "bertft_bf16": bertft_ms("bf16"), "torch_fp32": torch_ms(False),
             "torch_autocast_bf16": torch_ms(True)}
    print(json.dumps({"model": kind, "cpu": cpu, "threads": args.threads, "batch": B,
                      "tokens": sum(len(s) for s in sequences), "torch": torch.__version__,
                      **{name + "_ms_per_step": round(ms, 1) for name, ms in times.items()},
                      "bf16_over_fp32": round(times["bertft_fp32"] / times["bertft_bf16"], 2),
                      "speedup_fp32": round(times["torch_fp32"] / times["bertft_fp32"], 2),
                      "speedup_bf16": round(times["torch_autocast_bf16"] / times["bertft_bf16"], 2)}))
