#!/usr/bin/python3
"""Writes the model cards models/imdb-bert/README.md and models/imdb-sentiment/README.md from what
scripts/pretrain-imdb.sh measured in its work directory, so that every number in them comes from that run:
  WORK/vocab/vocab.txt, WORK/mlm128/metrics.json, WORK/sentiment/metrics.json (the teacher),
  WORK/tfidf-teacher.json, WORK/roundN/pseudo-labels.json and WORK/roundN/student/metrics.json for the four
  distillation rounds (round 4's student is models/imdb-sentiment),
  WORK/imdb-sentiment-test.json (bertft eval of models/imdb-sentiment on all 25,000 test reviews);
and records in both config.json files the input options the models were made with ("bertft_defaults",
src/inference/inference_defaults.h), which bertft's commands use when none are given.
    python3 scripts/model_cards.py WORK [REPO]"""
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def duration(seconds):
    hours, rest = divmod(int(round(seconds)), 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"


def hardware():
    model, cores = "unknown CPU", os.cpu_count()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cores} cores of an {model} (AVX-512 with BF16), no GPU"


def kept(pseudo):
    return (f"{pseudo['kept']:,} of {pseudo['texts']:,} reviews ({pseudo['per_label']['negative']:,} negative, "
            f"{pseudo['per_label']['positive']:,} positive)")


# What pretraining and fine-tuning ran with (scripts/pretrain-imdb.sh): reviews with <br /> line breaks
# stripped; imdb-sentiment classifies whole reviews as 128-token windows sharing 32 tokens.
DEFAULTS = {
    "imdb-bert": {"chunk_overlap": 32, "head_tokens": 128, "max_length": 0, "strip_html": True, "truncation": "head"},
    "imdb-sentiment": {"chunk_overlap": 32, "head_tokens": 128, "max_length": 128, "strip_html": True,
                       "truncation": "chunks"},
}


def record_defaults(directory):
    path = os.path.join(directory, "config.json")
    config = load(path)
    config["bertft_defaults"] = DEFAULTS[os.path.basename(os.path.normpath(directory))]
    with open(path + ".tmp", "w") as f:
        f.write(json.dumps(config, indent=2, sort_keys=True) + "\n")
    os.replace(path + ".tmp", path)
    print(f"wrote {path}")


def size_mb(directory):
    return os.path.getsize(os.path.join(directory, "model.safetensors")) / 1e6


def main():
    work = sys.argv[1]
    repo = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    bert_dir, sentiment_dir = os.path.join(repo, "models", "imdb-bert"), os.path.join(repo, "models", "imdb-sentiment")
    config = load(os.path.join(bert_dir, "config.json"))
    with open(os.path.join(work, "vocab", "vocab.txt")) as f:
        vocab = sum(1 for line in f if line.strip())
    mlm128 = load(os.path.join(work, "mlm128", "metrics.json"))
    teacher = load(os.path.join(work, "sentiment", "metrics.json"))
    tfidf = load(os.path.join(work, "tfidf-teacher.json"))
    pseudo = [load(os.path.join(work, f"round{r}", "pseudo-labels.json")) for r in (1, 2, 3, 4)]
    student = [load(os.path.join(work, f"round{r}", "student", "metrics.json")) for r in (1, 2, 3, 4)]
    test = load(os.path.join(work, "imdb-sentiment-test.json"))
    shape = (f"{config['num_hidden_layers']} layers, hidden {config['hidden_size']}, {config['num_attention_heads']} heads, "
             f"intermediate {config['intermediate_size']}, {vocab:,}-token WordPiece vocabulary, up to "
             f"{config['max_position_embeddings']} tokens")
    common = f"""Made by `bash scripts/pretrain-imdb.sh` (every stage resumable; the commands with all their options are in
the script) on {hardware()}. Data: the text of IMDb `aclImdb/train` (25,000 labeled + 50,000 unlabeled reviews);
the test split was never used for training, pretraining or choosing anything.
"""
    bert_card = f"""# imdb-bert: a compact BERT pretrained on IMDb reviews

A `BertForMaskedLM` ({shape}), pretrained from random initialisation by masked LM on movie reviews, stored
in bf16 ({size_mb(bert_dir):.1f} MB). Load it with Hugging Face Transformers (`BertForMaskedLM`, or
`BertForSequenceClassification` with a new head) or fine-tune it with `bertft train --model models/imdb-bert`.
Reviews longer than 128 tokens: fine-tune with `--max-length 128 --truncation chunks` (every 128-token
window of a review), as `models/imdb-sentiment` was made. Its `config.json` records that it was pretrained
on reviews with `<br />` line breaks stripped (`"bertft_defaults"`), so `bertft train` strips them too
unless told `--no-strip-html`.

{common}
## How it was made

1. `bertft vocab`: a {vocab:,}-token uncased WordPiece vocabulary trained on the same text.
2. `bertft pretrain --config scripts/imdb-bert-config.json`: masked LM (15% of tokens, 80/10/10) on
   128-token packed sequences, batch 32, {mlm128['global_step']:,} steps, peak learning rate 1e-3 with
   1,000 warm-up steps then linear decay, AdamW (beta2 0.98, eps 1e-6), sinusoidal position init and no
   dropout (see the bertft README, Pretraining: the plateau). Held-out masked-LM loss
   {mlm128['eval_loss']:.3f} (perplexity {mlm128['eval_perplexity']:.1f}, accuracy
   {100 * mlm128['eval_mlm_accuracy']:.1f}%) on 1% of the sequences.
3. `bertft convert --dtype bf16 --max-positions 128`: the 128 positions pretraining trained.

Pretraining took {duration(mlm128['seconds'])} of training time on the machine above, over several
resumed runs that partly shared it with other jobs. `config.json` has dropout 0.1 (Hugging Face's
default, for fine-tuning); pretraining itself ran without dropout.

## Results

Fine-tuned on IMDb train as `models/imdb-sentiment`: {100 * test['accuracy']:.2f}% accuracy on all 25,000
IMDb test reviews (see its card).
"""
    sentiment_card = f"""# imdb-sentiment: sentiment of movie reviews

A `BertForSequenceClassification` (labels `negative`, `positive`) fine-tuned from `models/imdb-bert`
({shape}), stored in bf16 ({size_mb(sentiment_dir):.1f} MB). Use it with `bertft predict`, `bertft serve`,
or Hugging Face Transformers. A review longer than 128 tokens is scored whole, by the mean of its
128-token windows' probabilities, with `<br />` line breaks stripped: its `config.json` records these as
`"bertft_defaults"` (`--max-length 128 --truncation chunks --strip-html`), which `bertft predict`, `eval` and
`serve` use unless given other options.

{common}
## How it was made

Knowledge distillation into the same small model, with the 50,000 unlabeled `train/unsup` reviews as transfer
data. Every stage holds out the same 2,500 labeled training reviews (10%, `bertft split --test-fraction 0.1`)
for validation and trains on the other 22,500:

1. Teacher: `bertft train --model <imdb-bert> --max-length 128 --truncation chunks --epochs 3 --batch-size 32
   --learning-rate 1e-4 --dropout 0.1`: every review is cut into 128-token windows sharing 32 tokens, each a
   training example with its review's label; the best epoch by validation accuracy (reviews scored by the
   mean of their windows) is kept, {duration(teacher['train_seconds'])}. Validation accuracy
   {100 * teacher['valid']['accuracy']:.2f}%.
2. Second teacher: `bertft baseline --ngram-max 3 --C 8` (TF-IDF + logistic regression), validation accuracy
   {100 * tfidf['accuracy']:.2f}%.
3. Pseudo-labels (`scripts/pseudo_labels.py`): each unlabeled review gets the class whose probability,
   averaged over the two teachers, is at least 0.7: {kept(pseudo[0])}.
4. Student: the same `bertft train` from `<imdb-bert>` on the 22,500 labeled plus the pseudo-labelled
   reviews for one epoch, {duration(student[0]['train_seconds'])}.
   Validation accuracy {100 * student[0]['valid']['accuracy']:.2f}%.
5. Round 2: the student replaces the first teacher: pseudo-labels from it and TF-IDF, {kept(pseudo[1])};
   then the student trained for one more epoch (`--model <student> --learning-rate 5e-5`) on the
   22,500 labeled plus these pseudo-labelled reviews, {duration(student[1]['train_seconds'])}.
   Validation accuracy {100 * student[1]['valid']['accuracy']:.2f}%.
6. Round 3: the same with round 2's student, {kept(pseudo[2])}; one more epoch,
   {duration(student[2]['train_seconds'])}. Validation accuracy {100 * student[2]['valid']['accuracy']:.2f}%.
7. Round 4, this model: round 3's student and TF-IDF score the unlabeled reviews again, and every one of
   them ({pseudo[3]['kept']:,}) is kept with a soft label: the cross-entropy target is the two teachers'
   mean class probabilities (`"probs"` in the training JSON Lines, `pseudo_labels.py label --soft`) rather
   than the winning class alone. One more epoch from round 3's student at 5e-5,
   {duration(student[3]['train_seconds'])}. Validation accuracy {100 * student[3]['valid']['accuracy']:.2f}%.

## Results on all 25,000 IMDb test reviews

`bertft eval --model models/imdb-sentiment --data aclImdb.tar.gz#aclImdb/test` (the defaults its `config.json`
records: `--max-length 128 --truncation chunks --strip-html`):

| accuracy | precision | recall | F1 |
| ---: | ---: | ---: | ---: |
| {100 * test['accuracy']:.2f}% | {test['precision']:.4f} | {test['recall']:.4f} | {test['f1']:.4f} |

For scale: TF-IDF + logistic regression reaches 88.9–90.5% on the same split (`bertft baseline`), the
seeds' BERT-base 91–94.2%.
"""
    for directory in (bert_dir, sentiment_dir):
        record_defaults(directory)
    for directory, card in ((bert_dir, bert_card), (sentiment_dir, sentiment_card)):
        path = os.path.join(directory, "README.md")
        with open(path + ".tmp", "w") as f:
            f.write(card)
        os.replace(path + ".tmp", path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
