#!/usr/bin/python3
"""How much a pretrained encoder's outputs still differ from token to token, layer by layer: for each
model directory, the standard deviation over the tokens of one review of each hidden feature, averaged
over the features, after the embeddings and after each layer. A model whose last layers give every
token the same output (spread near 0) has collapsed: a classifier fine-tuned from it sees the same
first-token vector for every text. Runs the model in PyTorch (tests/reference: the HF-layout modules),
class from its config.json's architectures; the review is tokenized by `bertft tokenize`.

  python3 bench/token_spread.py MODEL_DIR...   (bertft from build/, or BERTFT=path)"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import torch  # noqa: E402
import hf_checkpoint  # noqa: E402
import torch_families  # noqa: E402

REVIEW = ("This movie was wonderful, the acting was great and I loved it. The story was moving and the "
          "music fit every scene, though the ending came too soon.")


def spread(model_dir, bertft):
    config = json.load(open(os.path.join(model_dir, "config.json")))
    model, _ = hf_checkpoint.from_pretrained(config["architectures"][0], model_dir)
    model.eval()
    tokens = subprocess.run([bertft, "tokenize", "--model", model_dir], input=json.dumps({"text": REVIEW}),
                            capture_output=True, text=True, check=True).stdout
    ids = torch.tensor([json.loads(tokens.strip().splitlines()[-1])["ids"]])
    base = getattr(model, model.base_model_prefix)
    mask, types = torch.ones_like(ids), torch.zeros_like(ids)
    with torch.no_grad():
        hidden = base.embeddings(ids, types)
        if hasattr(base, "embeddings_project"):
            hidden = base.embeddings_project(hidden)
        extended, _ = torch_families.encoder_inputs(ids, mask, types, torch.float32)
        values = [hidden[0].std(0).mean().item()]
        for layer in base.encoder.layer:
            hidden = layer(hidden, extended)
            values.append(hidden[0].std(0).mean().item())
    return values


def main():
    bertft = os.environ.get("BERTFT", os.path.join(HERE, "..", "build", "bertft"))
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    rows = [(model_dir.rstrip("/").split("/")[-1], spread(model_dir, bertft)) for model_dir in sys.argv[1:]]
    layers = max(len(values) for _, values in rows) - 1
    print("| model | embeddings | " + " | ".join("layer %d" % i for i in range(1, layers + 1)) + " |")
    print("|---|" + "---:|" * (layers + 1))
    for name, values in rows:
        print("| %s | %s |" % (name, " | ".join("%.4f" % v for v in values)))


if __name__ == "__main__":
    main()
