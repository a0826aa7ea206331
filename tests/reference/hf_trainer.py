"""Test-only: what Hugging Face's Trainer does around the model, written from transformers' source
semantics (the library itself is not installable here): the learning-rate schedule lambdas of
transformers/optimization.py and the weight-decay parameter groups of Trainer.create_optimizer."""
import math

import torch


# transformers/optimization.py, _get_*_schedule_with_warmup_lr_lambda (num_cycles=0.5 for cosine).
def linear_lambda(current_step, num_warmup_steps, num_training_steps):
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    return max(0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps)))


def cosine_lambda(current_step, num_warmup_steps, num_training_steps, num_cycles=0.5):
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    progress = float(current_step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))


def constant_lambda(current_step, num_warmup_steps, num_training_steps):
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1.0, num_warmup_steps))
    return 1.0


LAMBDAS = {"linear": linear_lambda, "cosine": cosine_lambda, "constant": constant_lambda}


def scheduler(optimizer, kind, warmup, total):
    fn = LAMBDAS[kind]
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: fn(step, warmup, total))


def decay_parameter_names(model):
    """Trainer.get_decay_parameter_names: parameters outside LayerNorm modules whose name has no
    "bias" in it."""
    names = []
    for module_name, module in model.named_modules():
        if isinstance(module, torch.nn.LayerNorm):
            continue
        for pname, _ in module.named_parameters(recurse=False):
            full = f"{module_name}.{pname}" if module_name else pname
            if "bias" not in full:
                names.append(full)
    return set(names)


def adamw(model, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
    """torch.optim.AdamW over Trainer.create_optimizer's two parameter groups (trainable parameters
    only; a tied weight once, under its first name)."""
    decay = decay_parameter_names(model)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [{"params": [p for n, p in named if n in decay], "weight_decay": weight_decay},
              {"params": [p for n, p in named if n not in decay], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, foreach=False)


def train_losses(model, micro_batches, steps, accum, lr, weight_decay, warmup, schedule, clip,
                 label_smoothing=0.0, betas=(0.9, 0.999), eps=1e-8):
    """Trainer's loop in eval mode (dropout off; autograd works the same): each optimizer step takes
    `accum` micro-batches (forward, mean cross-entropy / accum, backward), clips the gradient norm,
    steps AdamW and the schedule. micro_batches yields ((model inputs...), labels). Returns each
    step's loss, the mean of its micro-batches'. label_smoothing is Trainer's LabelSmoother
    (label_smoothing_factor), which equals torch's cross_entropy(label_smoothing=...)."""
    model.eval()
    optimizer = adamw(model, lr, weight_decay, betas, eps)
    schedule = scheduler(optimizer, schedule, warmup, steps)
    losses, batches = [], iter(micro_batches)
    for _ in range(steps):
        step_loss = 0.0
        for _ in range(accum):
            inputs, labels = next(batches)
            loss = torch.nn.functional.cross_entropy(model(*inputs), labels, label_smoothing=label_smoothing)
            (loss / accum).backward()
            step_loss += loss.item() / accum
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(step_loss)
    return losses
