"""Optional semantic dedup: cosine similarity of sentence embeddings from an installed model.

Off by default. The model must already be installed as a Python package: a spaCy pipeline with
word vectors (``en_core_web_md``, ``en_core_web_lg``), loaded by package name. Nothing is ever
downloaded. :func:`status` says plainly whether the configured model can be used, and the dedup
report carries that sentence whether or not semantic dedup is on.

Pairs are found by exact cosine similarity over L2-normalized embeddings, block by block: the cost
is quadratic in the number of rows (fine for tens of thousands of rows).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence

import numpy as np

Embedder = Callable[[Sequence[str]], np.ndarray]
_BLOCK = 2048


class SemanticUnavailable(RuntimeError):
    """Semantic dedup is on but its model cannot be used; the message says why and what to do."""


def status(model: str) -> tuple[bool, str]:
    """Whether ``model`` is an installed spaCy pipeline package, and a plain sentence saying so."""
    if not model:
        return False, "no embedding model is configured (dedup.semantic_model is empty), so semantic dedup cannot run"
    if importlib.util.find_spec("spacy") is None:
        return False, f"spaCy is not installed, so the embedding model {model!r} cannot be loaded"
    if importlib.util.find_spec(model) is None:
        return False, (f"the embedding model {model!r} is not installed as a package; install it "
                       f"(e.g. pip install {model}) or set dedup.semantic=false; nothing is downloaded at run time")
    return True, f"embedding model {model!r} is installed"


def load_embedder(model: str) -> Embedder:
    """An embedder over the spaCy package ``model``; raises :class:`SemanticUnavailable` if unusable."""
    ok, note = status(model)
    if not ok:
        raise SemanticUnavailable(note)
    import spacy

    nlp = spacy.load(model, exclude=["parser", "ner", "lemmatizer", "tagger", "attribute_ruler", "senter"])
    if nlp.vocab.vectors.shape[0] == 0:
        raise SemanticUnavailable(f"the spaCy package {model!r} has no word vectors; use a _md or _lg package")

    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.stack([doc.vector for doc in nlp.pipe(texts, batch_size=256)]).astype(np.float32)

    return embed


def cosine_pairs(emb: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, with cosine similarity at least ``threshold``, and the similarities."""
    emb = np.asarray(emb, dtype=np.float32)
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    unit = np.divide(emb, norms, out=np.zeros_like(emb), where=norms > 0)
    found_i, found_j, found_s = [], [], []
    for lo in range(0, len(unit), _BLOCK):
        sims = unit[lo:lo + _BLOCK] @ unit.T
        i, j = np.nonzero(sims >= threshold)
        i = i + lo
        upper = j > i
        found_i.append(i[upper])
        found_j.append(j[upper])
        found_s.append(sims[i[upper] - lo, j[upper]])
    if not found_i:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    pairs = np.stack([np.concatenate(found_i), np.concatenate(found_j)], axis=1).astype(np.int64)
    return pairs, np.concatenate(found_s).astype(np.float64)
