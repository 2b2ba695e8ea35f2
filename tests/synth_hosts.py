#!/usr/bin/env python3
"""Write N synthetic hosts for `make bench`: flag-list files of ~150 flags.

Each host takes the flags of one real sample (Sapphire Rapids or Genoa,
alternating vendors is not possible for flag lists, which carry no vendor)
and drops a few at random, so the intersection shrinks as hosts are added.
Deterministic for a given seed.
"""
import os
import random
import sys


def main() -> int:
    if len(sys.argv) != 4:
        print("usage: synth_hosts.py SAMPLE_FLAGS_FILE N OUTDIR", file=sys.stderr)
        return 2
    src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    flags = sorted({f for f in open(src).read().split() if f})
    rng = random.Random(20261125)
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        keep = [f for f in flags if rng.random() > 0.01]
        with open(os.path.join(out, f"host{i:05d}.flags"), "w") as fh:
            fh.write("\n".join(keep) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
