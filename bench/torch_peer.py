"""The PyTorch side of bench/run.py: times the same training step as a
model compiled by tgc (the same model as bench/specs.py generates).

    python3 torch_peer.py mlp '{"sizes": [784, 512, 512, 10], "batch": 128, ...}' STEPS WARMUP

Prints one line: "median_us P10 P90 LOSS", like step_bench.c. run.py starts
it with PyTorch's best CPU settings (tcmalloc, OPENBLAS_CORETYPE, threads).
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F


def make_optimizer(params, spec):
    kind = spec["kind"]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=spec["lr"], momentum=spec.get("momentum", 0.0))
    if kind == "adam":
        return torch.optim.Adam(params, lr=spec["lr"], foreach=True)
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=spec["lr"], weight_decay=spec.get("weight_decay", 0.01),
                                 foreach=True)
    raise SystemExit(f"torch_peer: unknown optimizer {kind}")


def mlp(config):
    sizes, batch = config["sizes"], config["batch"]
    layers = [torch.nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
    params = [p for layer in layers for p in layer.parameters()]
    x = torch.rand(batch, sizes[0])
    labels = torch.randint(0, sizes[-1], (batch,))

    def loss():
        h = x
        for i, layer in enumerate(layers):
            h = layer(h)
            if i < len(layers) - 1:
                h = F.relu(h)
        return F.cross_entropy(h, labels)

    return params, loss


def transformer(config):
    B, T, D, H, FF, C = (config[k] for k in ("B", "T", "D", "H", "FF", "C"))
    dh = D // H
    q, k, v, out = (torch.nn.Linear(D, D) for _ in range(4))
    fc1, fc2, head = torch.nn.Linear(D, FF), torch.nn.Linear(FF, D), torch.nn.Linear(D, C)
    ln1, ln2 = torch.nn.LayerNorm(D), torch.nn.LayerNorm(D)
    modules = [q, k, v, out, fc1, fc2, head, ln1, ln2]
    params = [p for m in modules for p in m.parameters()]
    x = torch.rand(B, T, D)
    labels = torch.randint(0, C, (B, T))
    causal = torch.ones(T, T, dtype=torch.bool).tril()

    def heads(t):
        return t.reshape(B, T, H, dh).transpose(1, 2)

    def loss():
        h = ln1(x)
        scores = heads(q(h)).matmul(heads(k(h)).transpose(-1, -2)) / dh**0.5
        scores = scores.masked_fill(~causal, float("-inf"))
        o = scores.softmax(-1).matmul(heads(v(h))).transpose(1, 2).reshape(B, T, D)
        x1 = x + out(o)
        x2 = x1 + fc2(F.gelu(fc1(ln2(x1))))
        return F.cross_entropy(head(x2).reshape(-1, C), labels.reshape(-1))

    return params, loss


def elementwise_chain(config):
    p = torch.nn.Parameter(torch.rand(config["rows"], config["cols"]) * 2 - 1)

    def loss():
        h = torch.tanh(p) * p
        h = torch.sigmoid(h) + p
        h = torch.exp(-(h * h)) - p
        return h.mean()

    return [p], loss


def cross_entropy(config):
    logits = torch.nn.Parameter(torch.randn(config["rows"], config["classes"]))
    labels = torch.randint(0, config["classes"], (config["rows"],))
    return [logits], lambda: F.cross_entropy(logits, labels)


def optimizer_update(config):
    params = [torch.nn.Parameter(torch.rand(config["size"]) * 2 - 1) for _ in range(config["count"])]
    for p in params:
        p.grad = torch.rand_like(p)
    return params, None


def main():
    kind, config = sys.argv[1], json.loads(sys.argv[2])
    steps, warmup = int(sys.argv[3]), int(sys.argv[4])
    torch.manual_seed(0)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    models = {"mlp": mlp, "transformer": transformer, "chain": elementwise_chain,
              "xent": cross_entropy, "update": optimizer_update}
    params, loss_fn = models[kind](config)
    optimizer = make_optimizer(params, config["optimizer"])

    def step():
        if loss_fn is None:  # the update alone, on gradients set once
            optimizer.step()
            return torch.zeros(())
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    print(f"{times[steps // 2]:.3f} {times[steps // 10]:.3f} {times[steps * 9 // 10]:.3f} {loss.item():.6g}")


if __name__ == "__main__":
    main()
