"""Builds a text-classification corpus from Debian's `fortunes` package: one folder per topic file.

Each quote in /usr/share/games/fortunes/<topic> ends at a line holding only
`%`; quotes become <out>/train/<topic>/<i>.txt and <out>/test/<topic>/<i>.txt
(the layout of keras.utils.text_dataset_from_directory), a seeded shuffle
holding out `--test-fraction` of each topic's first `--per-topic` quotes.

Needs the Debian package `fortunes` (apt-get install fortunes).

    python configs/data/make_fortunes_folders.py configs/data/fortunes
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

FORTUNES = Path("/usr/share/games/fortunes")
TOPICS = ("computers", "politics", "science", "songs-poems")  # 625 to 1,050 quotes each
PER_TOPIC = 600  # the same number from each topic: balanced classes


def quotes(path: Path) -> list[str]:
    """The quotes of one fortune file (separated by lines holding `%`)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    parts, current = [], []
    for line in text.splitlines():
        if line.strip() == "%":
            parts.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    parts.append("\n".join(current).strip())
    return [p for p in parts if p]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--topics", nargs="+", default=list(TOPICS))
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--per-topic", type=int, default=PER_TOPIC)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not FORTUNES.is_dir():
        raise SystemExit(f"{FORTUNES} is missing: apt-get install fortunes")
    shutil.rmtree(args.out, ignore_errors=True)
    rng = random.Random(args.seed)
    for topic in args.topics:
        items = quotes(FORTUNES / topic)
        rng.shuffle(items)
        items = items[:args.per_topic]
        n_test = int(len(items) * args.test_fraction)
        for split, part in (("test", items[:n_test]), ("train", items[n_test:])):
            folder = args.out / split / topic
            folder.mkdir(parents=True)
            for i, quote in enumerate(part):
                (folder / f"{i}.txt").write_text(quote + "\n", encoding="utf-8")
        print(f"{topic}: {len(items) - n_test} train, {n_test} test")


if __name__ == "__main__":
    main()
