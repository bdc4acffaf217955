"""Fine-tune the multilingual encoder into a three-class sentiment classifier on 2 CPU cores.

The lower layers stay frozen, so their output is computed once per text and cached; training then runs only the
top layers (with LoRA adapters) and the head, several times faster than running the whole encoder every step.
What the repo keeps (`sentiment/delta/`) is only what differs from the base model: the adapter, the head and the
calibration, a few hundred kB. Progress is checkpointed, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from sentiment.data import Example, Splits
from sentiment.inference import LABELS, PREFIX

DELTA_META = "delta.json"
HEAD_FILE = "head.safetensors"
LORA_TARGETS = ["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"]


@dataclass
class TrainConfig:
    """Hyper-parameters; with the defaults `make train-sentiment` takes about 90 minutes on 2 cores (LoRA on the top
    8 of 12 layers: 4 layers took 23 min and scored 1–3 points lower; a third epoch added 0.4–1.3 points)."""

    top_layers: int = 8
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    epochs: int = 3
    batch_size: int = 32
    lr: float = 6e-4
    head_lr: float = 2e-3
    # Weight of the frustration output's loss next to the sentiment loss.
    frustration_weight: float = 0.5
    warmup: float = 0.06
    max_length: int = 128
    seed: int = 13
    checkpoint_every: int = 200
    data_scale: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


# The head's outputs: the three sentiment logits, then one logit for "this message shows frustration".
OUTPUTS = len(LABELS) + 1


class MeanPoolHead(nn.Module):
    """Mean of the token vectors (e5's pooling), dropout, and a linear layer to the outputs."""

    def __init__(self, hidden: int, dropout: float = 0.1, outputs: int = OUTPUTS) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(hidden, outputs)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Logits from the last hidden states and the attention mask."""
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        out: torch.Tensor = self.linear(self.dropout(pooled))
        return out


def additive_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The (batch, 1, 1, tokens) additive attention mask the encoder layers take."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def run_layers(layers: Any, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Run a slice of encoder layers on hidden states."""
    extended = additive_mask(mask, hidden.dtype)
    for layer in layers:
        out = layer(hidden, attention_mask=extended)
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


def load_base(base: Path) -> tuple[Any, Any]:
    """The base encoder (eager attention, so the layer-by-layer path matches the full model) and its tokenizer."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModel.from_pretrained(str(base), attn_implementation="eager").eval()
    return model, tokenizer


def add_lora(model: Any, cfg: TrainConfig) -> Any:
    """Wrap the top `cfg.top_layers` layers with LoRA adapters (peft)."""
    from peft import LoraConfig, get_peft_model

    total = model.config.num_hidden_layers
    lora = LoraConfig(
        r=cfg.lora_rank, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
        target_modules=LORA_TARGETS, layers_to_transform=list(range(total - cfg.top_layers, total)),
        layers_pattern="layer", bias="none",
    )
    return get_peft_model(model, lora)


def encoder_of(model: Any) -> Any:
    """The XLM-R encoder inside a plain or peft-wrapped model."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    return inner


@dataclass
class Cached:
    """Frozen-layer output for one text: fp16 hidden states (tokens × hidden) and the label."""

    hidden: torch.Tensor
    label: int
    frustrated: int = -1


def tokenise(tokenizer: Any, texts: list[str], max_length: int) -> list[list[int]]:
    """Token ids with e5's query prefix, truncated."""
    out: list[list[int]] = tokenizer([PREFIX + t for t in texts], truncation=True, max_length=max_length)["input_ids"]
    return out


def pad(seqs: list[torch.Tensor] | list[list[int]], pad_value: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad a batch; returns the padded tensor and the attention mask."""
    width = max(len(s) for s in seqs)
    mask = torch.zeros(len(seqs), width, dtype=torch.long)
    if isinstance(seqs[0], torch.Tensor):
        tensors = [s for s in seqs if isinstance(s, torch.Tensor)]
        out = torch.full((len(seqs), width, tensors[0].shape[-1]), pad_value, dtype=torch.float32)
        for i, s in enumerate(tensors):
            out[i, : len(s)] = s.float()
            mask[i, : len(s)] = 1
        return out, mask
    ids = torch.full((len(seqs), width), int(pad_value), dtype=torch.long)
    for i, seq in enumerate(seqs):
        ids[i, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
        mask[i, : len(seq)] = 1
    return ids, mask


def cache_lower(
    model: Any, tokenizer: Any, examples: list[Example], cfg: TrainConfig, progress: Callable[[int], None]
) -> list[Cached]:
    """Run the frozen lower layers once over every example (longest first, to batch similar lengths)."""
    base = encoder_of(model)
    lower = base.encoder.layer[: base.config.num_hidden_layers - cfg.top_layers]
    ids = tokenise(tokenizer, [ex.text for ex in examples], cfg.max_length)
    order = sorted(range(len(examples)), key=lambda i: -len(ids[i]))
    cached: list[Cached | None] = [None] * len(examples)
    with torch.inference_mode():
        for start in range(0, len(order), 64):
            chunk = order[start : start + 64]
            input_ids, mask = pad([ids[i] for i in chunk], tokenizer.pad_token_id)
            hidden = run_layers(lower, base.embeddings(input_ids=input_ids), mask)
            for row, i in enumerate(chunk):
                cached[i] = Cached(
                    hidden[row, : int(mask[row].sum())].to(torch.float16).clone(), examples[i].label,
                    examples[i].frustration_target,
                )
            progress(len(chunk))
    return [c for c in cached if c is not None]


def batches(items: list[Cached], size: int, rng: random.Random) -> Iterator[list[Cached]]:
    """Shuffled batches of similar length (sorted within windows of 50 batches, then shuffled)."""
    order = list(range(len(items)))
    rng.shuffle(order)
    window = size * 50
    chunks: list[list[int]] = []
    for start in range(0, len(order), window):
        part = sorted(order[start : start + window], key=lambda i: len(items[i].hidden))
        chunks.extend(part[j : j + size] for j in range(0, len(part), size))
    rng.shuffle(chunks)
    for chunk in chunks:
        yield [items[i] for i in chunk]


def top_logits(model: Any, head: MeanPoolHead, cfg: TrainConfig, batch: list[Cached]) -> torch.Tensor:
    """Logits from cached lower-layer states through the trainable top layers and the head."""
    base = encoder_of(model)
    hidden, mask = pad([c.hidden for c in batch], 0.0)
    upper = base.encoder.layer[base.config.num_hidden_layers - cfg.top_layers :]
    out: torch.Tensor = head(run_layers(upper, hidden, mask), mask)
    return out


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The softmax temperature that minimises negative log-likelihood on held-out logits (grid search)."""
    best, best_nll = 1.0, math.inf
    for t in np.arange(0.5, 4.01, 0.05):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = float(-(z[np.arange(len(labels)), labels] - np.log(np.exp(z).sum(axis=1))).mean())
        if nll < best_nll:
            best, best_nll = float(t), nll
    return round(best, 2)


def class_weights(items: list[Cached]) -> torch.Tensor:
    """Inverse-frequency weights, so neutral (the rarest in review-heavy data) is not drowned out."""
    counts = np.bincount([c.label for c in items], minlength=len(LABELS)).astype(np.float64)
    weights = counts.sum() / (len(LABELS) * np.maximum(counts, 1))
    return torch.tensor(weights, dtype=torch.float32)


def save_delta(model: Any, head: MeanPoolHead, out: Path, meta: dict[str, Any]) -> None:
    """Write the adapter, the head and the metadata: everything that differs from the base model."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    (out / "README.md").unlink(missing_ok=True)  # peft's model-card template: nothing to say
    save_file({k: v.detach().contiguous() for k, v in head.state_dict().items()}, str(out / HEAD_FILE))
    (out / DELTA_META).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def train(
    splits: Splits, base: Path, delta_out: Path, work_dir: Path, cfg: TrainConfig, console: Any = None
) -> dict[str, Any]:
    """Train, checkpointing to `work_dir` (resumed from there), and write the delta to `delta_out`."""
    from tqdm import tqdm

    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    work_dir.mkdir(parents=True, exist_ok=True)
    model, tokenizer = load_base(base)
    model = add_lora(model, cfg)
    head = MeanPoolHead(model.config.hidden_size)

    cache_file = work_dir / "cache.pt"
    fingerprint = {"n_train": len(splits.train), "n_dev": len(splits.dev), **asdict(cfg)}
    cache_key = {k: fingerprint[k] for k in ("n_train", "n_dev", "top_layers", "max_length", "data_scale", "seed")}
    cache_key["format"] = 2  # cached items carry the frustration flag
    cached_train: list[Cached]
    cached_dev: list[Cached]
    saved = torch.load(cache_file, weights_only=False) if cache_file.exists() else None
    if saved is not None and saved["key"] == cache_key:
        cached_train, cached_dev = saved["train"], saved["dev"]
    else:
        total = len(splits.train) + len(splits.dev)
        with tqdm(total=total, desc="frozen layers", unit="text") as bar:
            cached_train = cache_lower(model, tokenizer, splits.train, cfg, bar.update)
            cached_dev = cache_lower(model, tokenizer, splits.dev, cfg, bar.update)
        torch.save({"key": cache_key, "train": cached_train, "dev": cached_dev}, cache_file)

    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": trainable, "lr": cfg.lr}, {"params": head.parameters(), "lr": cfg.head_lr}], weight_decay=0.01
    )
    steps_per_epoch = math.ceil(len(cached_train) / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    warmup = max(1, int(total_steps * cfg.warmup))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total_steps - s) / max(1, total_steps - warmup))
    )
    loss_fn = nn.CrossEntropyLoss(weight=class_weights(cached_train), label_smoothing=0.05)
    flags = [c.frustrated for c in cached_train if c.frustrated >= 0]
    # Frustrated messages are few among the flagged ones: weigh them up to balance the frustration output.
    pos_weight = torch.tensor((len(flags) - sum(flags)) / max(1, sum(flags)))
    frustration_loss = nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="sum")

    def batch_loss(batch: list[Cached]) -> torch.Tensor:
        logits = top_logits(model, head, cfg, batch)
        loss: torch.Tensor = loss_fn(logits[:, : len(LABELS)], torch.tensor([c.label for c in batch]))
        flagged = [i for i, c in enumerate(batch) if c.frustrated >= 0]
        if flagged:
            target = torch.tensor([float(batch[i].frustrated) for i in flagged])
            loss = loss + cfg.frustration_weight * frustration_loss(logits[flagged, len(LABELS)], target) / len(batch)
        return loss

    step = 0
    resumed_from = 0
    ckpt_file = work_dir / "checkpoint.pt"
    if ckpt_file.exists():
        ckpt = torch.load(ckpt_file, weights_only=False)
        if ckpt.get("key") == cache_key:
            model.load_state_dict(ckpt["model"], strict=False)
            head.load_state_dict(ckpt["head"])
            optimiser.load_state_dict(ckpt["optimiser"])
            scheduler.load_state_dict(ckpt["scheduler"])
            step = int(ckpt["step"])
    resumed_from = step

    def checkpoint() -> None:
        lora_state = {k: v for k, v in model.state_dict().items() if "lora_" in k}
        torch.save(
            {"key": cache_key, "model": lora_state, "head": head.state_dict(), "optimiser": optimiser.state_dict(),
             "scheduler": scheduler.state_dict(), "step": step},
            ckpt_file,
        )

    started = time.monotonic()
    model.train()
    head.train()
    with tqdm(total=total_steps, initial=step, desc="training", unit="step") as bar:
        for epoch in range(cfg.epochs):
            # Every epoch draws its own order from the seed, so a resumed run sees the same batches it would have.
            epoch_rng = random.Random(rng.random() + epoch)
            for index, batch in enumerate(batches(cached_train, cfg.batch_size, epoch_rng)):
                if epoch * steps_per_epoch + index < step:
                    continue
                loss = batch_loss(batch)
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                torch.nn.utils.clip_grad_norm_([*trainable, *head.parameters()], 1.0)
                optimiser.step()
                scheduler.step()
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}", epoch=epoch + 1)
                if step % cfg.checkpoint_every == 0:
                    checkpoint()
    checkpoint()

    model.eval()
    head.eval()
    dev_logits: list[np.ndarray] = []
    dev_labels: list[int] = []
    with torch.inference_mode():
        for start in range(0, len(cached_dev), 64):
            batch = cached_dev[start : start + 64]
            dev_logits.append(top_logits(model, head, cfg, batch)[:, : len(LABELS)].numpy())
            dev_labels.extend(c.label for c in batch)
    logits = np.concatenate(dev_logits) if dev_logits else np.zeros((0, len(LABELS)))
    labels_arr = np.array(dev_labels, dtype=np.int64)
    temperature = fit_temperature(logits, labels_arr) if len(labels_arr) else 1.0
    dev_accuracy = float((logits.argmax(1) == labels_arr).mean()) if len(labels_arr) else 0.0
    meta = {
        "labels": list(LABELS),
        "base_model": "multilingual-e5-small",
        "top_layers": cfg.top_layers,
        "max_length": cfg.max_length,
        "temperature": temperature,
        "dev_accuracy": round(dev_accuracy, 4),
        "train_examples": len(cached_train),
        "steps": step,
        "resumed_from": resumed_from,
        "train_seconds": round(time.monotonic() - started),
        "config": {k: v for k, v in asdict(cfg).items() if k != "extra"},
    }
    save_delta(model, head, delta_out, meta)
    return meta
