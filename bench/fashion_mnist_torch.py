"""The bundled example's recipe in PyTorch, for the accuracy comparison of
the README's main command: examples/mlp_fashion_mnist.mlir is a
784-512-512-10 ReLU MLP trained with softmax cross-entropy and AdamW (lr 1e-3,
PyTorch's defaults otherwise; `--optimizer sgd` gives SGD with lr 0.05 and
momentum 0.9, the recipe the example used before), batches of 128 (the last partial batch dropped, as tgc's
runtime does), inputs scaled to [0, 1], 10 epochs.

    /usr/bin/python3 bench/fashion_mnist_torch.py --seeds 0 1 2 3

Prints the test accuracy after the last epoch for each seed, and their mean.
"""
import argparse
import gzip
import statistics

import numpy as np
import torch
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def load(name, offset):
    with gzip.open(f"{DATA}/{name}.gz") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--optimizer", choices=["adamw", "sgd"], default="adamw")
    args = parser.parse_args()
    x = torch.tensor(load("train-images-idx3-ubyte", 16).reshape(-1, 784) / 255.0, dtype=torch.float32)
    y = torch.tensor(load("train-labels-idx1-ubyte", 8).astype(np.int64))
    tx = torch.tensor(load("t10k-images-idx3-ubyte", 16).reshape(-1, 784) / 255.0, dtype=torch.float32)
    ty = torch.tensor(load("t10k-labels-idx1-ubyte", 8).astype(np.int64))
    accuracies = []
    for seed in args.seeds:
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
                                    torch.nn.ReLU(), torch.nn.Linear(512, 10))
        if args.optimizer == "adamw":
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        else:
            opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        for _ in range(args.epochs):
            order = torch.randperm(len(x))
            for b in range(len(x) // 128):
                idx = order[b * 128:(b + 1) * 128]
                opt.zero_grad()
                F.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
        with torch.no_grad():
            accuracy = (model(tx).argmax(1) == ty).float().mean().item()
        accuracies.append(accuracy)
        print(f"seed {seed}: test accuracy {accuracy:.2%}", flush=True)
    print(f"mean over {len(accuracies)} seeds: {statistics.mean(accuracies):.2%}")


if __name__ == "__main__":
    main()
