"""Writes a small IDX dataset (gzip, MNIST layout) whose labels are learnable:
the label of an image is the index of its brightest 10-pixel band.

usage: make_dataset.py DIR [train_count] [test_count]
"""
import gzip
import random
import struct
import sys


def write_idx(path, dims, data):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">BBBB", 0, 0, 0x08, len(dims)))
        for d in dims:
            f.write(struct.pack(">I", d))
        f.write(bytes(data))


def make(count, rng):
    images, labels = [], []
    for _ in range(count):
        label = rng.randrange(10)
        pixels = [rng.randrange(64) for _ in range(784)]
        for i in range(label * 78, label * 78 + 78):
            pixels[i] = 192 + rng.randrange(64)
        images.extend(pixels)
        labels.append(label)
    return images, labels


def main():
    out = sys.argv[1]
    train_count = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    test_count = int(sys.argv[3]) if len(sys.argv) > 3 else 256
    rng = random.Random(1234)
    for prefix, count in (("train", train_count), ("t10k", test_count)):
        images, labels = make(count, rng)
        write_idx(f"{out}/{prefix}-images-idx3-ubyte.gz", [count, 28, 28], images)
        write_idx(f"{out}/{prefix}-labels-idx1-ubyte.gz", [count], labels)


if __name__ == "__main__":
    main()
