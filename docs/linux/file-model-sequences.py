#!/usr/bin/env python3
"""Random operation sequences for docs/linux/file-model.c, in FileLinearizability's parameter ranges
(page 0-3, pages 1-2, prot 0-2, pgoff 0-2, value 1-3, size 0-3), 1-12 operations each.
  python3 docs/linux/file-model-sequences.py SEED COUNT > sequences.txt"""
import random
import sys


def op(r):
    page, pages, prot, pgoff, value = r.randint(0, 3), r.randint(1, 2), r.randint(0, 2), r.randint(0, 2), r.randint(1, 3)
    c = r.choice("SPUMDXYLWRFT")
    return {
        "S": f"S {page} {pages} {prot} {pgoff}", "P": f"P {page} {pages} {prot} {pgoff}",
        "U": f"U {page} {pages}", "M": f"M {page} {pages} {prot}", "D": f"D {page} {pages}",
        "X": f"X {page} {r.randint(0, 3)}", "Y": f"Y {page} {r.randint(0, 3)}",
        "L": f"L {page}", "W": f"W {page} {value}", "R": f"R {pgoff}", "F": f"F {pgoff} {value}",
        "T": f"T {r.randint(0, 3)}",
    }[c]


def main():
    r = random.Random(int(sys.argv[1]))
    for _ in range(int(sys.argv[2])):
        print(";".join(op(r) for _ in range(r.randint(1, 12))))


if __name__ == "__main__":
    main()
