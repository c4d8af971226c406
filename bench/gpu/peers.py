"""The peers of tgc's GPU goals (issue: NVIDIA GPU backend), measured on the
GPU machine: PyTorch eager, torch.compile and JAX jit, with the ceilings the
goals are stated against. Runs on the device image (python3 with torch, jax,
optax); needs no tgc build.

    python3 bench/gpu/peers.py [--only copy,adamw,mlp,gpt2,xent,attention]

(mlp-jax: the MLP's JAX steps alone, seconds rather than torch.compile's
minute, to sample JAX's host-bound step time again; gpt2-fp32: the GPT-2
block's exact fp32 steps alone, eager and compiled.)

Prints one line per measurement: the median time of a step (CUDA events or
block_until_ready), and for memory-bound ones the bandwidth as a fraction of
the measured device-to-device copy.
"""
import argparse
import contextlib
import statistics
import time

import torch
import torch.nn.functional as F

RESULTS = {}


def cuda_time(fn, iters, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e3)
    return statistics.median(times)


def report(name, us, note=""):
    RESULTS[name] = us
    print(f"{name:44} {us:11.1f} us  {note}", flush=True)


def copy_bandwidth(args):
    n = (1 << 30) // 4  # 1 GiB of fp32
    x = torch.rand(n, device="cuda")
    y = torch.empty_like(x)
    us = cuda_time(lambda: y.copy_(x), 20)
    bw = 2 * x.numel() * 4 / us / 1e3
    report("copy 1 GiB device-to-device", us, f"{bw:.0f} GB/s (read + write)")
    return bw


def adamw(args, bw):
    count, size = 100, 1_000_000
    params = [torch.rand(size, device="cuda", requires_grad=True) for _ in range(count)]
    for p in params:
        p.grad = torch.rand_like(p)
    moved = 7 * 4 * count * size  # read p, g, m, v; write p, m, v
    for impl in ("fused", "foreach"):
        opt = torch.optim.AdamW(params, lr=1e-3, **{impl: True})
        us = cuda_time(opt.step, 20)
        report(f"AdamW 100M fp32 in 100 tensors, torch {impl}", us,
               f"{moved / us / 1e3:.0f} GB/s = {moved / us / 1e3 / bw:.0%} of copy")


def mlp(args, with_torch=True):
    B, sizes = 128, [784, 512, 512, 10]
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
                                torch.nn.ReLU(), torch.nn.Linear(512, 10)).cuda()
    x = torch.rand(B, 784, device="cuda")
    y = torch.randint(0, 10, (B,), device="cuda")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    if with_torch:
        report("MLP 784-512-512-10 b128 Adam, torch eager", cuda_time(step, 200, 20))
        compiled = torch.compile(step)
        report("MLP 784-512-512-10 b128 Adam, torch.compile", cuda_time(compiled, 200, 20))

    import jax
    import jax.numpy as jnp
    import optax

    key = jax.random.PRNGKey(0)
    params = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        key, k1 = jax.random.split(key)
        params.append((jax.random.uniform(k1, (i, o), minval=-i**-0.5, maxval=i**-0.5), jnp.zeros(o)))
    tx = optax.adam(1e-3)
    state = tx.init(params)
    xj = jnp.asarray(x.cpu().numpy())
    yj = jnp.asarray(y.cpu().numpy())

    def loss_fn(p, x, y):
        h = x
        for n, (w, b) in enumerate(p):
            h = h @ w + b
            if n < len(p) - 1:
                h = jax.nn.relu(h)
        return optax.softmax_cross_entropy_with_integer_labels(h, y).mean()

    def jstep(p, s, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        updates, s = tx.update(g, s, p)
        return optax.apply_updates(p, updates), s, loss

    # JAX's default lets XLA run float32 matmuls on tensor cores (TF32 on
    # Ampere and later); "float32" keeps them exact, as tgc's and PyTorch's
    # are by default, "tensorfloat32" asks for TF32 (tgc: TGC_CUDA_MATMUL=tf32).
    for precision, name in ((None, "JAX jit"), ("tensorfloat32", "JAX jit tf32"),
                            ("float32", "JAX jit float32")):
        with jax.default_matmul_precision(precision) if precision else contextlib.nullcontext():
            step = jax.jit(jstep)
            p, s = params, state
            for _ in range(20):
                p, s, loss = step(p, s, xj, yj)
            loss.block_until_ready()
            times = []
            for _ in range(200):
                start = time.perf_counter()
                p, s, loss = step(p, s, xj, yj)
                loss.block_until_ready()
                times.append((time.perf_counter() - start) * 1e6)
        report(f"MLP 784-512-512-10 b128 Adam, {name}", statistics.median(times))


class Block(torch.nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.qkv, self.proj = torch.nn.Linear(d, 3 * d), torch.nn.Linear(d, d)
        self.fc1, self.fc2 = torch.nn.Linear(d, 4 * d), torch.nn.Linear(4 * d, d)

    def forward(self, x):
        B, T, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=-1)
        heads = lambda t: t.view(B, T, self.heads, D // self.heads).transpose(1, 2)
        o = F.scaled_dot_product_attention(heads(q), heads(k), heads(v), is_causal=True)
        x = x + self.proj(o.transpose(1, 2).reshape(B, T, D))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


def gpt2(args, fp32_only):
    B, T, D, H = 8, 1024, 768, 12
    torch.manual_seed(0)
    block = Block(D, H).cuda()
    x = torch.randn(B, T, D, device="cuda")
    target = torch.randn(B, T, D, device="cuda")
    opt = torch.optim.AdamW(block.parameters(), lr=1e-4, fused=True)
    flops = 3 * (2 * B * T * 12 * D * D + 4 * B * T * T * D / 2)  # dense + causal attention

    # fp32 (exact FP32 matmuls, PyTorch's default), fp32 with TF32 matmuls
    # (allow_tf32: operands rounded to 10 mantissa bits; tgc:
    # TGC_CUDA_MATMUL=tf32), and bf16 under autocast.
    variants = ((torch.float32, False), (torch.float32, True), (torch.bfloat16, False))
    for dtype, tf32 in variants[:1] if fp32_only else variants:
        def step():
            opt.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dtype == torch.bfloat16):
                loss = F.mse_loss(block(x), target)
            loss.backward()
            opt.step()

        name = "bf16" if dtype == torch.bfloat16 else "fp32 tf32" if tf32 else "fp32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        if not tf32:
            us = cuda_time(step, 20, 5)
            report(f"GPT-2 block d768 T1024 B8 AdamW {name}, eager", us,
                   f"{flops / us / 1e6:.0f} TFLOP/s")
        compiled = torch.compile(step)
        us = cuda_time(compiled, 20, 5)
        report(f"GPT-2 block d768 T1024 B8 AdamW {name}, compile", us, f"{flops / us / 1e6:.0f} TFLOP/s")
    torch.backends.cuda.matmul.allow_tf32 = False


def xent(args, bw):
    rows, classes = 8192, 50257
    logits = torch.randn(rows, classes, device="cuda", requires_grad=True)
    labels = torch.randint(0, classes, (rows,), device="cuda")

    def step():
        logits.grad = None
        F.cross_entropy(logits, labels).backward()

    moved = 2 * rows * classes * 4  # read the logits, write their gradient: the minimum
    for name, fn in (("eager", step), ("compile", torch.compile(step))):
        us = cuda_time(fn, 20, 5)
        report(f"softmax-CE fwd+bwd 8192x50257, torch {name}", us,
               f"{moved / us / 1e3:.0f} GB/s = {moved / us / 1e3 / bw:.0%} of copy")


def attention(args):
    """PyTorch's fused attention (FlashAttention-2 for bf16) at GPT-2's heads."""
    shape = (8, 12, 1024, 64)
    q, k, v = (torch.randn(shape, device="cuda", dtype=torch.bfloat16, requires_grad=True)
               for _ in range(3))
    grad = torch.randn(shape, device="cuda", dtype=torch.bfloat16)
    name = "attention B8 H12 T1024 D64 causal bf16, torch SDPA"
    with torch.no_grad():
        report(f"{name} fwd", cuda_time(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True), 25))

    def step():
        F.scaled_dot_product_attention(q, k, v, is_causal=True).backward(grad)

    report(f"{name} fwd+bwd", cuda_time(step, 25))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="copy,adamw,mlp,gpt2,xent,attention")
    args = parser.parse_args()
    only = args.only.split(",")
    print(f"# {torch.cuda.get_device_name()}, torch {torch.__version__}", flush=True)
    bw = copy_bandwidth(args)
    if "adamw" in only:
        adamw(args, bw)
    if "xent" in only:
        xent(args, bw)
    if "mlp" in only or "mlp-jax" in only:
        mlp(args, with_torch="mlp" in only)
    if "gpt2" in only or "gpt2-fp32" in only:
        gpt2(args, fp32_only="gpt2" not in only)
    if "attention" in only:
        attention(args)


if __name__ == "__main__":
    main()
