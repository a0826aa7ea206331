"""Test-only reference: one ELECTRA pretraining step (Clark et al. 2020) in PyTorch, on the HF-layout
modules of torch_families (ElectraForMaskedLM as the generator, ElectraForPreTraining as the
discriminator), written from the paper and transformers' ElectraForPreTraining loss:

  generator loss      F.cross_entropy over the masked tokens (labels != -100) of the generator's logits
  sampling            at each masked token, the first id whose cumulative softmax probability exceeds
                      that token's draw (inverse transform sampling; the draws are given, so the
                      sample is deterministic); no gradient flows through it
  discriminator input the ids with each masked token replaced by its sample
  discriminator loss  BCEWithLogits over the tokens of the attention mask, label 1 where the sample
                      differs from the original id
  loss                generator loss + weight x discriminator loss

The two models share their embeddings (the same nn.Module), as ELECTRA trains them."""
import torch
import torch.nn.functional as F


def share_embeddings(generator, discriminator):
    """The generator reads the discriminator's embeddings module; its LM head stays tied to them."""
    generator.electra.embeddings = discriminator.electra.embeddings
    generator.tie_weights()


def pad(records, pad_id=0):
    """Right-padded ids, token types, attention mask and MLM labels [B, L] of grad-check records."""
    width = max(len(r["ids"]) for r in records)
    shape = (len(records), width)
    ids, types = torch.full(shape, pad_id, dtype=torch.long), torch.zeros(shape, dtype=torch.long)
    mask, labels = torch.zeros(shape, dtype=torch.long), torch.full(shape, -100, dtype=torch.long)
    for row, r in enumerate(records):
        n = len(r["ids"])
        ids[row, :n] = torch.tensor(r["ids"])
        types[row, :n] = torch.tensor(r.get("type_ids", [0] * n))
        mask[row, :n] = 1
        labels[row, :n] = torch.tensor(r["labels"])
    return ids, types, mask, labels


def inverse_sample(logits, draw):
    """The first id whose cumulative probability under softmax(logits) exceeds draw."""
    cumulative = torch.cumsum(torch.softmax(logits.double(), -1), -1)
    above = (cumulative > draw).nonzero()
    return int(above[0]) if len(above) else int(logits.shape[-1] - 1)


def masked_positions(labels):
    """(row, column) of every masked token, row by row, columns ascending: the draws' order."""
    return [(int(b), int(t)) for b, t in (labels != -100).nonzero()]


def electra_step(generator, discriminator, records, weight=50.0, scale=1.0, sampled=None):
    """Loss, its parts, the gradients (scale x) of both models by name and what was sampled.
    sampled: use these replacements instead of sampling (an autocast run copying the reference's)."""
    ids, types, mask, labels = pad(records)
    draws = [d for r in records for d in r["draws"]]
    generator.zero_grad()
    discriminator.zero_grad()
    scores = generator(ids, mask, types)
    V = scores.shape[-1]
    generator_loss = F.cross_entropy(scores.float().view(-1, V) if scores.dtype == torch.bfloat16 else scores.view(-1, V),
                                     labels.view(-1), ignore_index=-100)
    positions = masked_positions(labels)
    if sampled is None:
        sampled = [inverse_sample(scores[b, t].detach(), draw) for (b, t), draw in zip(positions, draws)]
    corrupted = ids.clone()
    replaced = torch.zeros(ids.shape, dtype=torch.float64)
    for (b, t), s in zip(positions, sampled):
        corrupted[b, t] = s
        replaced[b, t] = float(s != int(labels[b, t]))
    logits = discriminator(corrupted, mask, types)
    active = mask.view(-1) == 1
    discriminator_loss = F.binary_cross_entropy_with_logits(
        logits.view(-1)[active].double(), replaced.view(-1)[active])
    loss = generator_loss.double() + weight * discriminator_loss
    (scale * loss).backward()
    masked = labels != -100
    grads = {n: p.grad.detach().clone() for n, p in discriminator.named_parameters()}
    for n, p in generator.named_parameters():
        if not n.startswith("electra.embeddings."):
            grads["generator/" + n] = p.grad.detach().clone()
    result = {
        "loss": loss.item(), "generator_loss": generator_loss.item(), "discriminator_loss": discriminator_loss.item(),
        "correct": int((scores.argmax(-1)[masked] == labels[masked]).sum()),
        "discriminator_correct": int(((logits.view(-1)[active] > 0) == (replaced.view(-1)[active] > 0)).sum()),
        "sampled": sampled,
    }
    return result, grads
