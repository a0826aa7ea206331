#!/usr/bin/python3
"""Throughput of `bertft predict` (bf16 and fp32, end to end from text) against PyTorch on BERT-base shapes (12 layers, 768 hidden,
3072 intermediate, vocab 30522), inputs of 128 tokens, 2 threads. One run, printed side by side.

  /usr/bin/python3 bench/predict_bench.py [--bertft build/bertft] [--texts 64]

bertft is timed end to end (process start, model load, tokenization, forward, output) and once more
on a single input; the difference is its steady-state throughput. PyTorch is timed on the forward
pass alone, in three modes: fp32 as Debian's python3-torch runs nn.Linear (on OpenBLAS, which
scripts/install-deps.sh installs), bf16 autocast, and fp32 through torch.utils.mkldnn.to_mkldnn, which
routes nn.Linear through oneDNN, the library bertft uses."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import torch  # noqa: E402
import torch.utils.mkldnn  # noqa: E402

import hf_format  # noqa: E402
import torch_bert  # noqa: E402

SEQ_LEN = 128
THREADS = 2
WORDS = ("the a an and or but if of to in on at for with from by is was are were be been it this "
         "that film movie story acting plot music scene good bad great boring wonderful dull long "
         "short slow fast funny sad happy not very too really quite").split()
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS


def make_model(model_dir):
    config = {"architectures": ["BertForSequenceClassification"], "model_type": "bert",
              "vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12,
              "num_attention_heads": 12, "intermediate_size": 3072, "hidden_act": "gelu",
              "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
              "id2label": {"0": "negative", "1": "positive"},
              "label2id": {"negative": 0, "positive": 1}}
    torch.manual_seed(0)
    model = torch_bert.BertForSequenceClassification(torch_bert.Config(config)).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(1.0 + 0.1 * torch.randn_like(p) if name.endswith("LayerNorm.weight")
                    else 0.02 * torch.randn_like(p))
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config, f)
    hf_format.save_safetensors(os.path.join(model_dir, "model.safetensors"), model.state_dict())
    with open(os.path.join(model_dir, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    return model


def time_bertft(bertft, model_dir, texts, precision):
    path = os.path.join(model_dir, "inputs-%d.txt" % len(texts))
    with open(path, "w") as f:
        f.write("\n".join(texts) + "\n")
    cmd = [bertft, "predict", "--model", model_dir, "--input", path, "--threads", str(THREADS),
           "--batch-size", "32", "--precision", precision]
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    elapsed = time.perf_counter() - start
    assert len(out.splitlines()) == len(texts)
    return elapsed


def time_torch(model, batches, batch_size, autocast_bf16=False):
    ids = torch.randint(5, len(VOCAB), (batch_size, SEQ_LEN))
    ids[:, 0], ids[:, -1] = 2, 3
    mask, types = torch.ones_like(ids), torch.zeros_like(ids)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast_bf16):
        model(ids[:1], mask[:1], types[:1])  # warm-up
        start = time.perf_counter()
        for _ in range(batches):
            model(ids, mask, types)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bertft", default=os.path.join(HERE, "..", "build", "bertft"))
    parser.add_argument("--texts", type=int, default=64, help="inputs of %d tokens for bertft" % SEQ_LEN)
    args = parser.parse_args()
    torch.set_num_threads(THREADS)

    with tempfile.TemporaryDirectory(prefix="bertft-bench-") as model_dir:
        model = make_model(model_dir)
        words = [WORDS[i % len(WORDS)] for i in range(SEQ_LEN - 2)]  # one token each
        texts = [" ".join(words[i % 7:] + words[:i % 7]) for i in range(args.texts)]
        tokens = args.texts * SEQ_LEN
        rows = []
        for precision in ("bf16", "fp32"):
            time_bertft(args.bertft, model_dir, texts[:1], precision)  # page cache, JIT warm-up
            one = time_bertft(args.bertft, model_dir, texts[:1], precision)
            full = time_bertft(args.bertft, model_dir, texts, precision)
            rows.append(("bertft predict %s (steady state)" % precision, (tokens - SEQ_LEN) / (full - one)))
            rows.append(("bertft predict %s (end to end, incl. %.2fs start-up)" % (precision, one), tokens / full))
        bertft_tps = rows[0][1]
    t = time_torch(model, 4, 8)
    rows.append(("PyTorch %s fp32" % torch.__version__, 4 * 8 * SEQ_LEN / t))
    t = time_torch(model, 4, 8, autocast_bf16=True)
    rows.append(("PyTorch %s bf16 autocast" % torch.__version__, 4 * 8 * SEQ_LEN / t))
    mkldnn_model = torch.utils.mkldnn.to_mkldnn(model)
    t = time_torch(mkldnn_model, 4, 8)
    rows.append(("PyTorch %s fp32, to_mkldnn (nn.Linear on oneDNN)" % torch.__version__, 4 * 8 * SEQ_LEN / t))

    print("BERT-base, %d tokens per input, %d threads, %d inputs" % (SEQ_LEN, THREADS, args.texts))
    for name, tps in rows:
        print("  %-55s %9.1f tokens/s   bertft bf16 steady state is %.2fx" % (name, tps, bertft_tps / tps))


if __name__ == "__main__":
    main()
