"""The top items of py-spy's collapsed stacks (``--format raw``), by own and by total samples.

Usage: ./dev bench profile_top FILE.txt [--top 15]
A frame is ``function (file:line)``; the figures are shares of all samples of the file.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


def frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rpartition(" ")
    return [_LINE.sub(")", f) for f in stack.split(";") if f], int(count)


def tally(path: Path) -> tuple[Counter[str], Counter[str], int]:
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        stack, count = frames(line)
        samples += count
        if stack:
            own[stack[-1]] += count
        for frame in set(stack):
            total[frame] += count
    return own, total, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    for path in args.files:
        own, total, samples = tally(path)
        print(f"== {path.stem}: {samples} samples")
        for title, counts in (("own", own), ("total", total)):
            print(f"  -- by {title}")
            for frame, n in counts.most_common(args.top):
                print(f"  {100 * n / samples:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
