#!/usr/bin/python3
"""Writes the modular-addition dataset of examples/grokking_modular.mlir:
every pair (a, b) with a, b in [0, P), labelled (a + b) mod P, shuffled with a
fixed seed and split into a training fraction and a test set, as .npy files
the training runtime loads (train-images.npy: float32 [N, 2] pairs, since
the runtime's features are floats; train-labels.npy: int32 [N]; t10k-* for
the test set).

usage: make_modular_dataset.py DIR [--p 97] [--train-fraction 0.4] [--seed 0]
"""
import argparse
import os

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--p", type=int, default=97)
    ap.add_argument("--train-fraction", type=float, default=0.4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    p = args.p
    a, b = np.meshgrid(np.arange(p), np.arange(p), indexing="ij")
    pairs = np.stack([a.ravel(), b.ravel()], axis=1).astype(np.int32)
    labels = ((pairs[:, 0] + pairs[:, 1]) % p).astype(np.int32)
    order = np.random.default_rng(args.seed).permutation(len(pairs))
    cut = int(round(args.train_fraction * len(pairs)))
    os.makedirs(args.dir, exist_ok=True)
    for prefix, index in (("train", order[:cut]), ("t10k", order[cut:])):
        np.save(os.path.join(args.dir, prefix + "-images.npy"), pairs[index].astype(np.float32))
        np.save(os.path.join(args.dir, prefix + "-labels.npy"), labels[index])
    print("%d training and %d test pairs in %s" % (cut, len(pairs) - cut, args.dir))


if __name__ == "__main__":
    main()
