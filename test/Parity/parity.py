#!/usr/bin/python3
"""PyTorch parity: a spec compiled by tgc and the same model in PyTorch, from
the same initial weights on the same batches, must give the same loss at
every step and the same final weights and optimizer state.

  parity.py MODEL --tgc TGC --include DIR --runtime LIB --work DIR
            [--steps N] [--optimizer NAME] [--loss NAME] [--loss-rtol R]
            [--autocast] [--weight-rtol R] [--state-rtol R]

MODEL is `mlp` (examples/mlp.mlir, SGD with momentum), `transformer`
(examples/transformer_block.mlir, plain SGD) or `small` (Inputs/mlp-small.mlir,
a 64-32-32-10 perceptron for the optimizer and loss tests), or that
perceptron with a layer under test: `batchnorm` (a BatchNorm1d in training
mode, whose running statistics are compared at the end), `rezero` (a
ReZero-gated residual block) or `fakequant` (LSQ quantization-aware
training of a weight and an activation). --optimizer replaces the spec's optimizer with
one of OPTIMIZERS below: a torch.optim optimizer, or a reference written here
from the paper where PyTorch 1.13 has none. --loss replaces the small
perceptron's cross-entropy with one of LOSSES below, against torch.nn's loss
or a few-line reference. --autocast compiles with `tgc --autocast=bf16` and
runs PyTorch's step under `torch.autocast("cpu", torch.bfloat16)`, for the
models whose ops both autocasts treat alike (linear layers, relu and GELU
in bf16; layer norms and cross-entropy in f32; the transformer's attention
written out as tg.attention computes on bf16: in f32, rounded once). The
script
compiles the spec with `tgc --emit=lib`, links parity_main.c (next to this
file) against it and the runtime, writes seeded random initial weights and
batches as .npy files named after the spec's state tensors, runs the harness,
trains the PyTorch twin on the same batches, and compares. Prints "SKIP: no
torch" and exits 0 when PyTorch is not installed.
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    print("SKIP: no torch")
    sys.exit(0)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

LOSS_RTOL = 1e-4    # per step, |tgc - torch| / |torch| (--loss-rtol)
WEIGHT_RTOL = 1e-4  # per tensor, max |tgc - torch| / max |torch|


def linear_init(gen, out_features, in_features):
    """nn.Linear's default initialization, from `gen`."""
    bound = 1.0 / in_features**0.5
    w = (torch.rand(out_features, in_features, generator=gen) * 2 - 1) * bound
    b = (torch.rand(out_features, generator=gen) * 2 - 1) * bound
    return w, b


# --- The MLP: examples/mlp.mlir ---------------------------------------------

class MLP:
    spec = "examples/mlp.mlir"
    optimizer = ("sgd", dict(lr=0.02, momentum=0.5))
    sizes = [784, 512, 512, 10]
    batch = 128
    loss_fn = None
    state = {}
    # Final tensors compared more loosely than WEIGHT_RTOL, with the reason.
    tolerances = {}

    def params(self, gen):
        p = {}
        for k, (i, o) in enumerate(zip(self.sizes, self.sizes[1:])):
            name = "fc%d" % (k + 1)
            p[name + "_weight"], p[name + "_bias"] = linear_init(gen, o, i)
        return p

    def batches(self, gen, steps):
        # MNIST-like: each class has a sparse stroke pattern; an image is its
        # class's pattern at random intensity plus sparse noise, scaled into
        # [0, 0.5], and 20% of the labels are random, so that the loss
        # converges well above zero. The learning rate and momentum matter:
        # at lr 0.05 or 0.02 with momentum 0.9 this MLP trains where a
        # rounding difference grows about 10x every 10 steps, so two equally
        # accurate implementations part: PyTorch with a correctly rounded
        # matmul ends 2.5e-4 from PyTorch with OpenBLAS by step 180 (lr 0.02,
        # momentum 0.9). At lr 0.02 with momentum 0.5 the same two stay
        # within 2e-7 over 200 steps: what is tested is the arithmetic, not
        # the chaos.
        n, features = self.batch, self.sizes[0]
        patterns = (torch.rand(10, features, generator=gen) < 0.2).float()
        labels = torch.randint(10, (steps, n), generator=gen)
        images = patterns[labels] * (0.5 + 0.5 * torch.rand(steps, n, features, generator=gen))
        noise = (torch.rand(steps, n, features, generator=gen) < 0.02).float()
        images = (images + noise * torch.rand(steps, n, features, generator=gen)).clamp(0, 1) * 0.5
        flip = torch.rand(steps, n, generator=gen) < 0.2
        labels = torch.where(flip, torch.randint(10, (steps, n), generator=gen), labels)
        return [images, labels.to(torch.int32)]

    def loss(self, p, images, labels):
        h = F.relu(F.linear(images, p["fc1_weight"], p["fc1_bias"]))
        h = F.relu(F.linear(h, p["fc2_weight"], p["fc2_bias"]))
        logits = F.linear(h, p["fc3_weight"], p["fc3_bias"])
        if self.loss_fn:  # --loss
            return self.loss_fn(logits, labels)
        return F.cross_entropy(logits, labels.long())

    # Evaluation (--eval-every), as model.eval(): the loss, and the logits of
    # the spec's @forward (None: the spec has none).
    def eval_loss(self, p, images, labels):
        return self.loss(p, images, labels)

    def eval_logits(self, p, images):
        return None


class SmallMLP(MLP):
    """test/Parity/Inputs/mlp-small.mlir: the same data, 64 features."""
    spec = "test/Parity/Inputs/mlp-small.mlir"
    sizes = [64, 32, 32, 10]
    batch = 32


# --- The transformer block: examples/transformer_block.mlir -----------------

class Transformer:
    spec = "examples/transformer_block.mlir"
    optimizer = ("sgd", dict(lr=0.01))
    B, T, D, H, FF, C = 4, 16, 32, 2, 64, 8

    def params(self, gen):
        p = {}
        D, FF, C = self.D, self.FF, self.C
        for name, (o, i) in [("q", (D, D)), ("k", (D, D)), ("v", (D, D)), ("out", (D, D)),
                             ("fc1", (FF, D)), ("fc2", (D, FF)), ("head", (C, D))]:
            p[name + "_weight"], p[name + "_bias"] = linear_init(gen, o, i)
        # Not the defaults (ones, zeros), so that the affine part is tested.
        for ln in ("ln1", "ln2"):
            p[ln + "_weight"] = 1 + 0.1 * torch.randn(D, generator=gen)
            p[ln + "_bias"] = 0.1 * torch.randn(D, generator=gen)
        return p

    def batches(self, gen, steps):
        x = torch.randn(steps, self.B, self.T, self.D, generator=gen)
        # Learnable with causal attention: labels depend on the running mean.
        proj = torch.randn(self.D, self.C, generator=gen)
        running = x.cumsum(2) / torch.arange(1, self.T + 1).view(1, 1, -1, 1)
        labels = running.matmul(proj).argmax(-1).to(torch.int32)
        return [x, labels]

    def loss(self, p, x, labels):
        B, T, D, H = self.B, self.T, self.D, self.H
        dh = D // H

        def heads(t):  # [B, T, D] -> [B, H, T, dh]
            return t.reshape(B, T, H, dh).transpose(1, 2)

        def attend(q, k, v):
            scores = q.matmul(k.transpose(-1, -2)) / dh**0.5
            causal = torch.ones(T, T, dtype=torch.bool).tril()
            scores = scores.masked_fill(~causal, float("-inf"))
            return scores.softmax(-1).matmul(v)

        h = F.layer_norm(x, (D,), p["ln1_weight"], p["ln1_bias"], eps=1e-5)
        q = heads(F.linear(h, p["q_weight"], p["q_bias"]))
        k = heads(F.linear(h, p["k_weight"], p["k_bias"]))
        v = heads(F.linear(h, p["v_weight"], p["v_bias"]))
        if torch.is_autocast_cpu_enabled():
            # tg.attention on bf16 computes in f32 and rounds once (as a
            # fused attention kernel does, but for P, which it keeps f32).
            with torch.autocast("cpu", enabled=False):
                o = attend(q.float(), k.float(), v.float()).to(q.dtype)
        else:
            o = attend(q, k, v)
        o = o.transpose(1, 2).reshape(B, T, D)
        x1 = x + F.linear(o, p["out_weight"], p["out_bias"])
        h2 = F.layer_norm(x1, (D,), p["ln2_weight"], p["ln2_bias"], eps=1e-5)
        f = F.gelu(F.linear(h2, p["fc1_weight"], p["fc1_bias"]), approximate="none")
        x2 = x1 + F.linear(f, p["fc2_weight"], p["fc2_bias"])
        logits = F.linear(x2, p["head_weight"], p["head_bias"])
        return F.cross_entropy(logits.reshape(-1, self.C), labels.reshape(-1).long())


class LongTransformer(Transformer):
    """The same block on one sequence of 512 tokens: long enough for tgc to
    split the causal attention into chunks of queries that multiply only the
    keys they see (AttentionOp::decompose), checked here against PyTorch's
    full masked attention."""
    B, T = 1, 512

    def spec_text(self, text):
        for old, new in (("4x16x", "1x512x"), ("4x2x16x16", "1x2x512x16")):
            text = text.replace(old, new)
        return text


class BatchNormMLP(SmallMLP):
    """Inputs/mlp-batchnorm.mlir: fc1 (no bias), BatchNorm1d (training mode),
    relu, fc2, relu, fc3. The running statistics are state: updated by every
    step and compared at the end."""
    spec = "test/Parity/Inputs/mlp-batchnorm.mlir"

    def params(self, gen):
        p = super().params(gen)
        del p["fc1_bias"]
        # Not the defaults (ones, zeros), so that the affine part is tested.
        p["bn1_weight"] = 1 + 0.1 * torch.randn(32, generator=gen)
        p["bn1_bias"] = 0.1 * torch.randn(32, generator=gen)
        return p

    def buffers(self, gen):
        return {"bn1_running_mean": 0.1 * torch.randn(32, generator=gen),
                "bn1_running_var": 1 + 0.1 * torch.rand(32, generator=gen)}

    def forward(self, p, images, training):
        h = F.linear(images, p["fc1_weight"])
        h = F.batch_norm(h, self.state["bn1_running_mean"], self.state["bn1_running_var"],
                         p["bn1_weight"], p["bn1_bias"], training=training, momentum=0.1,
                         eps=1e-5)
        h = F.relu(F.linear(F.relu(h), p["fc2_weight"], p["fc2_bias"]))
        return F.linear(h, p["fc3_weight"], p["fc3_bias"])

    def loss(self, p, images, labels):
        return F.cross_entropy(self.forward(p, images, True), labels.long())

    # model.eval(): normalized by the running statistics, which stay as they are.
    def eval_loss(self, p, images, labels):
        return F.cross_entropy(self.forward(p, images, False), labels.long())

    def eval_logits(self, p, images):
        return self.forward(p, images, False)


class ReZeroMLP(SmallMLP):
    """Inputs/mlp-rezero.mlir: h = relu(fc1 x); h + alpha * relu(fc2 h); fc3,
    with the gate alpha a learnable scalar that starts at 0 (Bachlechner et
    al. 2020, "ReZero is All You Need")."""
    spec = "test/Parity/Inputs/mlp-rezero.mlir"

    def params(self, gen):
        p = super().params(gen)
        p["rezero_alpha"] = torch.tensor(0.0)
        return p

    def loss(self, p, images, labels):
        h = F.relu(F.linear(images, p["fc1_weight"], p["fc1_bias"]))
        h = h + p["rezero_alpha"] * F.relu(F.linear(h, p["fc2_weight"], p["fc2_bias"]))
        return F.cross_entropy(F.linear(h, p["fc3_weight"], p["fc3_bias"]), labels.long())


def lsq(x, s, bits, unsigned=False, axis=None):
    """Esser et al. 2020, "Learned Step Size Quantization", as their code,
    with the gradient scale and the straight-through rounding written so
    that the values are exactly s and round(v)."""
    qn, qp = (0, 2 ** bits - 1) if unsigned else (-2 ** (bits - 1), 2 ** (bits - 1) - 1)
    g = 1 / math.sqrt(x.numel() / s.numel() * qp)
    s = s.detach() + g * (s - s.detach())
    if axis is not None:
        s = s.view([-1] + [1] * (x.dim() - 1 - axis))
    v = (x / s).clamp(qn, qp)
    return (v - v.detach() + v.round()) * s


class FakeQuantMLP(SmallMLP):
    """Inputs/mlp-fakequant.mlir: fc1's weight at 4 bits with a learnable
    scale per output channel, the first activation at 4 bits (unsigned) with
    one learnable scale."""
    spec = "test/Parity/Inputs/mlp-fakequant.mlir"
    # The activation scale's gradient sums 1024 terms that cancel up to
    # 1500-fold (measured over these 60 steps), so its momentum buffer
    # carries rounding noise of about 1e-7 * 1500 in any summation order.
    tolerances = {"act1_scale_momentum_buffer": 1e-3}

    def params(self, gen):
        p = super().params(gen)
        # LSQ's initialization, 2 mean|w| / sqrt(Qp), per channel.
        p["fc1_weight_scale"] = 2 * p["fc1_weight"].abs().mean(1) / math.sqrt(7)
        p["act1_scale"] = torch.tensor(0.04)
        return p

    def loss(self, p, images, labels):
        w1 = lsq(p["fc1_weight"], p["fc1_weight_scale"], 4, axis=0)
        h = F.relu(F.linear(images, w1, p["fc1_bias"]))
        h = lsq(h, p["act1_scale"], 4, unsigned=True)
        h = F.relu(F.linear(h, p["fc2_weight"], p["fc2_bias"]))
        return F.cross_entropy(F.linear(h, p["fc3_weight"], p["fc3_bias"]), labels.long())


MODELS = {"mlp": MLP, "small": SmallMLP, "transformer": Transformer,
          "transformer-long": LongTransformer,
          "batchnorm": BatchNormMLP, "rezero": ReZeroMLP, "fakequant": FakeQuantMLP}


# --- Losses -------------------------------------------------------------------
#
# The small perceptron's loss line, replaced: tg ops computing %loss from
# %logits [32, 10] and %labels [32], and the PyTorch twin. The regression and
# multi-label losses fit the one-hot labels.

ONE_HOT = "%t = tg.one_hot %labels classes 10 : tensor<32xi32> -> tensor<32x10xf32>\n    "
POS_WEIGHT = [0.5, 1.0, 2.0, 3.0, 0.8, 1.5, 4.0, 1.0, 2.5, 0.3]


def classification(op, attributes=""):
    return ("%%loss = tg.%s %%logits, %%labels%s : tensor<32x10xf32>, tensor<32xi32> -> tensor<f32>"
            % (op, attributes))


def regression(op, attributes=""):
    return ONE_HOT + "%%loss = tg.%s %%logits, %%t%s : tensor<32x10xf32> -> tensor<f32>" % (op, attributes)


def one_hot(labels):
    return F.one_hot(labels.long(), 10).to(torch.float32)


def poly1(z, y, eps):
    """Leng et al. 2022, Poly-1 (their code: CE + eps * (1 - p_t))."""
    p_t = z.softmax(-1).gather(-1, y.long()[:, None])[:, 0]
    return F.cross_entropy(z, y.long()) + eps * (1 - p_t).mean()


def z_loss(z, y, weight):
    """PaLM's auxiliary loss: CE + weight * logsumexp(z)^2."""
    return F.cross_entropy(z, y.long()) + weight * (z.logsumexp(-1) ** 2).mean()


def focal(z, y, gamma):
    """Lin et al. 2017 on a softmax: -(1 - p_t)^gamma log p_t."""
    log_p_t = z.log_softmax(-1).gather(-1, y.long()[:, None])[:, 0]
    return (-(1 - log_p_t.exp()) ** gamma * log_p_t).mean()


def stablemax(z, y):
    """Prieto et al. 2025, as their stablemax_cross_entropy (without the
    float64 cast)."""
    s = torch.where(z >= 0, z + 1, 1 / (1 - z))
    log_p = (s / s.sum(-1, keepdim=True)).log()
    return -log_p.gather(-1, y.long()[:, None]).mean()


def nce_rce(z, y, alpha, beta, log_zero=-4.0):
    """Ma et al. 2020, NCEandRCE as the authors' code (log 0 := log_zero,
    without their clamp of p at 1e-7)."""
    log_p = z.log_softmax(-1)
    nce = log_p.gather(-1, y.long()[:, None])[:, 0] / log_p.sum(-1)
    rce = -(log_p.exp() * torch.where(one_hot(y) > 0, 0.0, log_zero)).sum(-1)
    return alpha * nce.mean() + beta * rce.mean()


def pseudo_huber(x, t, c):
    return ((x - t) ** 2 + c * c).sqrt().sub(c).mean()


def cauchy(x, t, c):
    return (1 + (x - t) ** 2 / (c * c)).log().mean()


LOSSES = {
    "label-smoothing": (classification("softmax_cross_entropy", " label_smoothing = 0.1"),
                        lambda z, y: F.cross_entropy(z, y.long(), label_smoothing=0.1)),
    "poly1": (classification("softmax_cross_entropy", " poly1 = 2.0"),
              lambda z, y: poly1(z, y, 2.0)),
    "z-loss": (classification("softmax_cross_entropy", " z_loss = 0.01"),
               lambda z, y: z_loss(z, y, 0.01)),
    "focal": (classification("focal_loss", " gamma = 2.0"), lambda z, y: focal(z, y, 2.0)),
    "stablemax": (classification("stablemax_cross_entropy"), stablemax),
    "nce-rce": (classification("nce_rce_loss", " alpha = 1.0 beta = 1.0"),
                lambda z, y: nce_rce(z, y, 1.0, 1.0)),
    "nce": (classification("nce_rce_loss", " beta = 0.0"), lambda z, y: nce_rce(z, y, 1.0, 0.0)),
    "bce-pos-weight": (
        ONE_HOT + "%%pw = tg.constant dense<%s> : tensor<10xf32>\n    " % POS_WEIGHT
        + "%loss = tg.bce_with_logits %logits, %t pos_weight %pw : tensor<32x10xf32>, tensor<10xf32> -> tensor<f32>",
        lambda z, y: F.binary_cross_entropy_with_logits(z, one_hot(y),
                                                        pos_weight=torch.tensor(POS_WEIGHT))),
    "huber": (regression("huber_loss", " delta = 0.5"),
              lambda z, y: F.huber_loss(z, one_hot(y), delta=0.5)),
    "pseudo-huber": (regression("pseudo_huber_loss", " c = 0.3"),
                     lambda z, y: pseudo_huber(z, one_hot(y), 0.3)),
    "cauchy": (regression("cauchy_loss", " c = 0.5"), lambda z, y: cauchy(z, one_hot(y), 0.5)),
}


# --- Optimizers ---------------------------------------------------------------
#
# References for rules that PyTorch 1.13 lacks, written out from the papers
# (or the authors' code where it is the published rule). Each keeps its
# state under the names of the tg optimizer's slots, and the state shared by
# all parameters in `shared`, named like the tg optimizer's shared slots.


class Reference(torch.optim.Optimizer):
    """A rule applied to each parameter: rule(p, g, state, t), with the state
    a dict that starts empty."""

    shared = {}

    def __init__(self, params, **hyperparameters):
        super().__init__(params, hyperparameters)
        self.t = 0

    def zeros(self, state, p, *names):
        return [state.setdefault(n, torch.zeros_like(p)) for n in names]

    @torch.no_grad()
    def step(self):
        self.t += 1
        for p in self.param_groups[0]["params"]:
            self.rule(p, p.grad, self.state[p], self.t, **self.defaults)


class Lion(Reference):
    """Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms",
    Algorithm 2 with decoupled weight decay."""

    def rule(self, p, g, state, t, lr, betas=(0.9, 0.99), weight_decay=0.0):
        (m,) = self.zeros(state, p, "exp_avg")
        c = m * betas[0] + g * (1 - betas[0])
        p.mul_(1 - lr * weight_decay).add_(c.sign(), alpha=-lr)
        m.mul_(betas[1]).add_(g, alpha=1 - betas[1])


class DiffGrad(Reference):
    """Dubey et al. 2020, "diffGrad", as the authors' diffGrad_v2.py."""

    def rule(self, p, g, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        m, v, previous = self.zeros(state, p, "exp_avg", "exp_avg_sq", "previous_grad")
        g = g + weight_decay * p
        m.mul_(betas[0]).add_(g, alpha=1 - betas[0])
        v.mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
        friction = 1 / (1 + torch.exp(-(previous - g).abs()))
        previous.copy_(g)
        step_size = lr * math.sqrt(1 - betas[1] ** t) / (1 - betas[0] ** t)
        p.addcdiv_(m * friction, v.sqrt() + eps, value=-step_size)


class AdaBound(Reference):
    """Luo et al. 2019, "Adaptive Gradient Methods with Dynamic Bound of
    Learning Rate", as the authors' adabound package (no 1/sqrt(t))."""

    def rule(self, p, g, state, t, lr, betas=(0.9, 0.999), final_lr=0.1, gamma=1e-3,
             eps=1e-8, weight_decay=0.0, amsbound=False):
        m, v = self.zeros(state, p, "exp_avg", "exp_avg_sq")
        g = g + weight_decay * p
        m.mul_(betas[0]).add_(g, alpha=1 - betas[0])
        v.mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
        if amsbound:
            (v_max,) = self.zeros(state, p, "max_exp_avg_sq")
            v = torch.maximum(v_max, v, out=v_max)
        step_size = lr * math.sqrt(1 - betas[1] ** t) / (1 - betas[0] ** t)
        low = final_lr * (1 - 1 / (gamma * t + 1))
        high = final_lr * (1 + 1 / (gamma * t))
        p.sub_((step_size / (v.sqrt() + eps)).clamp(low, high) * m)


class AdaMod(Reference):
    """Ding et al. 2019, "An Adaptive and Momental Bound Method for
    Stochastic Learning", as the authors' adamod package."""

    def rule(self, p, g, state, t, lr, betas=(0.9, 0.999), beta3=0.999, eps=1e-8,
             weight_decay=0.0):
        m, v, average = self.zeros(state, p, "exp_avg", "exp_avg_sq", "exp_avg_lr")
        m.mul_(betas[0]).add_(g, alpha=1 - betas[0])
        v.mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
        p.add_(p, alpha=-weight_decay * lr)
        eta = lr * math.sqrt(1 - betas[1] ** t) / (1 - betas[0] ** t) / (v.sqrt() + eps)
        average.mul_(beta3).add_(eta, alpha=1 - beta3)
        p.sub_(torch.minimum(eta, average) * m)


class Grams(Reference):
    """Cao, Li and Song 2024, "Grams: Gradient Descent with Adaptive
    Momentum Scaling", Algorithm 1."""

    def rule(self, p, g, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        m, v = self.zeros(state, p, "exp_avg", "exp_avg_sq")
        m.mul_(betas[0]).add_(g, alpha=1 - betas[0])
        v.mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
        u = (m / (1 - betas[0] ** t)) / ((v / (1 - betas[1] ** t)).sqrt() + eps)
        p.sub_(lr * (g.sign() * u.abs() + weight_decay * p))


class AdEMAMix(Reference):
    """Pagliardini, Ablin and Grangier 2024, "The AdEMAMix Optimizer", as
    the authors' PyTorch code (warm-up lengths of 0: none)."""

    def rule(self, p, g, state, t, lr, betas=(0.9, 0.999, 0.9999), alpha=2.0,
             beta3_warmup=0, alpha_warmup=0, eps=1e-8, weight_decay=0.0):
        beta1, beta2, beta3 = betas
        if t < alpha_warmup:
            alpha = t / alpha_warmup * alpha
        if t < beta3_warmup:
            def half_life(beta):
                return math.log(0.5) / math.log(beta + 1e-8) - 1
            a = t / beta3_warmup
            beta3 = 0.5 ** (1 / ((1 - a) * half_life(beta1) + a * half_life(beta3) + 1))
        fast, slow, v = self.zeros(state, p, "exp_avg_fast", "exp_avg_slow", "exp_avg_sq")
        fast.mul_(beta1).add_(g, alpha=1 - beta1)
        slow.mul_(beta3).add_(g, alpha=1 - beta3)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        denom = v.sqrt() / math.sqrt(1 - beta2 ** t) + eps
        update = (fast / (1 - beta1 ** t) + alpha * slow) / denom + weight_decay * p
        p.add_(-lr * update)


class ScheduleFreeAdamW(Reference):
    """Defazio et al. 2024, "The Road Less Scheduled", Algorithm 1, with the
    average x kept explicitly; the parameter holds y = (1 - b1) z + b1 x."""

    def __init__(self, params, **hyperparameters):
        super().__init__(params, **hyperparameters)
        self.shared = {"weight_sum": 0.0}
        self.x = {}

    def rule(self, p, g, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             warmup_steps=0, r=0.0, weight_lr_power=2.0):
        if p is self.param_groups[0]["params"][0]:  # once per step
            self.gamma = lr * min(1.0, t / warmup_steps if warmup_steps else 1.0) \
                * math.sqrt(1 - betas[1] ** t)
            weight = t ** r * self.gamma ** weight_lr_power
            self.shared["weight_sum"] += weight
            self.c = weight / self.shared["weight_sum"]
        if "z" not in state:
            state["z"], self.x[p] = p.clone(), p.clone()
        z, x = state["z"], self.x[p]
        (v,) = self.zeros(state, p, "exp_avg_sq")
        v.mul_(betas[1]).addcmul_(g, g, value=1 - betas[1])
        z.sub_(self.gamma * (g / (v.sqrt() + eps) + weight_decay * p))
        x.mul_(1 - self.c).add_(z, alpha=self.c)
        p.copy_((1 - betas[0]) * z + betas[0] * x)

    # schedulefree's AdamWScheduleFree.eval() and .train(): the parameter
    # becomes x = lerp(y, z, 1 - 1/beta1), then y = lerp(x, z, 1 - beta1)
    # again. The x kept above checks the first: the worst relative distance
    # between the two is in `eval_view_error`.
    eval_view_error = 0.0

    @torch.no_grad()
    def eval(self):
        beta1 = self.defaults.get("betas", (0.9,))[0]
        for p in self.param_groups[0]["params"]:
            if "z" in self.state[p]:
                p.lerp_(self.state[p]["z"], 1 - 1 / beta1)
                error = ((p - self.x[p]).abs().max() / self.x[p].abs().max()).item()
                self.eval_view_error = max(self.eval_view_error, error)

    @torch.no_grad()
    def train(self):
        beta1 = self.defaults.get("betas", (0.9,))[0]
        for p in self.param_groups[0]["params"]:
            if "z" in self.state[p]:
                p.lerp_(self.state[p]["z"], 1 - beta1)


class AdaHessian(Reference):
    """Yao et al. 2021, "ADAHESSIAN", as timm.optim.Adahessian (one
    Hutchinson sample, no kernel averaging: the small MLP has matrices and
    vectors). The training loop sets `hessian[p]` = z * (H z) from
    torch.autograd.grad(create_graph=True), with tgc's Philox probes z."""

    def __init__(self, params, **hyperparameters):
        self.seed = hyperparameters.pop("seed", 0)
        super().__init__(params, **hyperparameters)
        self.hessian = {}

    def probes(self, p, t):
        """The Rademacher probes of step t, by parameter name: +1 where bit 31
        of lane i % 4 of Philox block stream + 3 * 2^30 + (t - 1) ceil(n / 4)
        + i / 4 is set."""
        zs = {}
        for name, v in p.items():
            n = v.numel()
            blocks = (n + 3) // 4
            counter = philox_stream(name) + 3 * (1 << 30) + (t - 1) * blocks
            bits = philox4x32(self.seed, np.arange(counter, counter + blocks, dtype=np.uint64))
            upper = (bits.reshape(-1)[:n] >> np.uint64(31)).astype(np.float32)
            zs[name] = torch.from_numpy(2 * upper - 1).view_as(v)
        return zs

    def rule(self, p, g, state, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             hessian_power=1.0):
        d = self.hessian[p]
        p.mul_(1 - lr * weight_decay)
        m, v = self.zeros(state, p, "exp_avg", "exp_hessian_diag_sq")
        m.mul_(betas[0]).add_(g, alpha=1 - betas[0])
        v.mul_(betas[1]).addcmul_(d, d, value=1 - betas[1])
        denom = (v / (1 - betas[1] ** t)).pow_(hessian_power / 2).add_(eps)
        p.addcdiv_(m, denom, value=-lr / (1 - betas[0] ** t))


class DoG(Reference):
    """Ivgi, Hinder and Carmon 2023, "DoG is SGD's Best Friend", as the
    authors' dog package: DoG, or L-DoG (layerwise), whose distance and
    gradient sum are per parameter."""

    def __init__(self, params, **hyperparameters):
        super().__init__(params, **hyperparameters)
        self.shared = {} if hyperparameters.get("layerwise") else {"rbar": 0.0, "G": 0.0}

    @torch.no_grad()
    def step(self):
        self.t += 1
        h = dict(lr=1.0, reps_rel=1e-6, weight_decay=0.0, eps=1e-8, layerwise=False)
        h.update(self.defaults)
        params = self.param_groups[0]["params"]
        if self.t == 1:
            for p in params:
                self.state[p]["x0"] = p.clone()
        grads = [p.grad + h["weight_decay"] * p for p in params]
        # |x - x0|, or |x0| on the first step, and |g|^2 of each parameter.
        distances = [(p if self.t == 1 else p - self.state[p]["x0"]).norm() for p in params]
        squares = [(g * g).sum() for g in grads]
        if h["layerwise"]:
            blocks = [(self.state[p], [d], [q]) for p, d, q in zip(params, distances, squares)]
        else:
            blocks = [(self.shared, distances, squares)]
        for state, block_distances, block_squares in blocks:
            distance = float(torch.stack(block_distances).norm())
            square = float(torch.stack(block_squares).sum())
            if self.t == 1:
                state["rbar"], state["G"] = h["reps_rel"] * (1 + distance), h["eps"] + square
            else:
                state["rbar"] = max(float(state["rbar"]), distance)
                state["G"] = float(state["G"]) + square
        for p, g in zip(params, grads):
            state = self.state[p] if h["layerwise"] else self.shared
            p.add_(g, alpha=-h["lr"] * float(state["rbar"]) / math.sqrt(float(state["G"])))
        if h["layerwise"]:  # tg keeps them in the parameter's type
            for p in params:
                for key in ("rbar", "G"):
                    self.state[p][key] = torch.tensor(float(self.state[p][key]))


class DAdaptAdam(Reference):
    """Defazio and Mishchenko 2023, "Learning-Rate-Free Learning by
    D-Adaptation", as the authors' DAdaptAdam (version 3)."""

    def __init__(self, params, **hyperparameters):
        super().__init__(params, **hyperparameters)
        self.shared = {"d": hyperparameters.get("d0", 1e-6), "numerator_weighted": 0.0}

    @torch.no_grad()
    def step(self):
        self.t += 1
        h = dict(lr=1.0, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decouple=False,
                 use_bias_correction=False, growth_rate=float("inf"))
        h.update(self.defaults)
        (beta1, beta2), eps, t = h["betas"], h["eps"], self.t
        dlr = self.shared["d"] * h["lr"]
        if h["use_bias_correction"]:
            dlr *= math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        numerator, s_l1 = 0.0, 0.0
        for p in self.param_groups[0]["params"]:
            s, m, v = self.zeros(self.state[p], p, "s", "exp_avg", "exp_avg_sq")
            g = p.grad if h["decouple"] else p.grad + h["weight_decay"] * p
            numerator += dlr * float(torch.dot(g.flatten(), (s / (v.sqrt() + eps)).flatten()))
            m.mul_(beta1).add_(g, alpha=dlr * (1 - beta1))
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            s.mul_(math.sqrt(beta2)).add_(g, alpha=dlr * (1 - math.sqrt(beta2)))
            s_l1 += float(s.abs().sum())
        if s_l1 > 0:
            weighted = math.sqrt(beta2) * self.shared["numerator_weighted"] \
                + (1 - math.sqrt(beta2)) * numerator
            d = self.shared["d"]
            estimate = weighted / ((1 - math.sqrt(beta2)) * s_l1)
            self.shared.update(d=max(d, min(estimate, d * h["growth_rate"])),
                               numerator_weighted=weighted)
        for p in self.param_groups[0]["params"]:
            m, v = self.state[p]["exp_avg"], self.state[p]["exp_avg_sq"]
            if h["decouple"]:
                p.add_(p, alpha=-h["weight_decay"] * dlr)
            p.addcdiv_(m, v.sqrt() + eps, value=-1)


# --- Schedules -----------------------------------------------------------------


def tg_number(x):
    """An MLIR float literal: `0.001`, `1.0e-08` (never `1e-08`)."""
    text = repr(float(x))
    return text.replace("e", ".0e") if "e" in text and "." not in text else text


class Schedule:
    """A tg schedule attribute for a hyperparameter and its PyTorch twin: a
    torch.optim.lr_scheduler (`scheduler`, used for lr where PyTorch has
    one, which scales the lr the optimizer starts with, `base`) or
    `value(s)`, the closed form written in the order of tgc's ops, which the
    loop below writes into the parameter group before each step. s is the
    number of steps taken, PyTorch's last_epoch."""

    def __init__(self, tg, base, value, scheduler=None):
        self.tg, self.base, self.value, self.scheduler = tg, base, value, scheduler


def warmup(peak, steps, s, after):
    return peak * s / steps if s < steps else after


def progress(s, start, end):
    return min(max((s - start) / (end - start), 0.0), 1.0)


def cosine(peak, total, warmup_steps=0, final=0.0):
    return Schedule(
        "#tg.cosine<peak = %s, warmup = %d, total = %d, final = %s>"
        % (tg_number(peak), warmup_steps, total, tg_number(final)), peak,
        lambda s: warmup(peak, warmup_steps, s, final + (peak - final) / 2 * (
            math.cos(math.pi * progress(s, warmup_steps, total)) + 1)),
        None if warmup_steps else lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=total, eta_min=final))


def linear_decay(peak, total, final=0.0):
    return Schedule(
        "#tg.linear_decay<peak = %s, total = %d, final = %s>" % (tg_number(peak), total, tg_number(final)), peak,
        lambda s: peak + (final - peak) * progress(s, 0, total),
        lambda opt: torch.optim.lr_scheduler.LinearLR(
            opt, start_factor=1.0, end_factor=final / peak, total_iters=total))


def linear_warmup(peak, steps, start):
    return Schedule(
        "#tg.linear_warmup<peak = %s, warmup = %d, start = %s>" % (tg_number(peak), steps, tg_number(start)), peak,
        lambda s: start + (peak - start) * progress(s, 0, steps),
        lambda opt: torch.optim.lr_scheduler.LinearLR(
            opt, start_factor=start / peak, end_factor=1.0, total_iters=steps))


def constant_schedule(value, factor, steps):
    return Schedule(
        "#tg.constant_schedule<value = %s, factor = %s, steps = %d>" % (tg_number(value), tg_number(factor), steps), value,
        lambda s: value * factor if s < steps else value,
        lambda opt: torch.optim.lr_scheduler.ConstantLR(opt, factor=factor, total_iters=steps))


def one_cycle(peak, total):
    return Schedule(
        "#tg.one_cycle<peak = %s, total = %d>" % (tg_number(peak), total), peak,
        None,
        lambda opt: torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=peak, total_steps=total, cycle_momentum=False))


def wsd(peak, warmup_steps, total, decay, final=0.0):
    """Warmup-stable-decay, linear cool-down (Hagele et al. 2024)."""
    return Schedule(
        "#tg.wsd<peak = %s, warmup = %d, total = %d, decay = %d, final = %s>"
        % (tg_number(peak), warmup_steps, total, decay, tg_number(final)), peak,
        lambda s: warmup(peak, warmup_steps, s,
                         peak + (final - peak) * progress(s, total - decay, total)))


# --- Gradient transforms ------------------------------------------------------
#
# Each applies its rule to the gradients between backward and the optimizer
# step, keeping per-parameter state in `state[name][slot]` under the tg
# transform's slot names; `closure()` recomputes the gradients at the
# current parameters (SAM).


class Transform:
    tg = ""

    def apply(self, p, state, closure):
        raise NotImplementedError


class SAM(Transform):
    """Foret et al. 2021, as the authors' (davda54/sam) first_step and
    second_step: the gradient at w + rho g / |g|, then the weights back."""

    def __init__(self, rho=0.05):
        self.tg = "#tg.sam<rho = %s>" % tg_number(rho)
        self.rho = rho

    def apply(self, p, state, closure):
        with torch.no_grad():
            norm = torch.norm(torch.stack([v.grad.norm(p=2) for v in p.values()]), p=2)
            scale = self.rho / (norm + 1e-12)
            old = {name: v.clone() for name, v in p.items()}
            for v in p.values():
                v.add_(v.grad * scale)
        closure()
        with torch.no_grad():
            for name, v in p.items():
                v.copy_(old[name])


class ClipGlobalNorm(Transform):
    def __init__(self, max_norm):
        self.tg = "#tg.clip_global_norm<max_norm = %s>" % tg_number(max_norm)
        self.max_norm = max_norm

    def apply(self, p, state, closure):
        torch.nn.utils.clip_grad_norm_(list(p.values()), self.max_norm)


class ClipNorm(Transform):
    def __init__(self, max_norm):
        self.tg = "#tg.clip_norm<max_norm = %s>" % tg_number(max_norm)
        self.max_norm = max_norm

    def apply(self, p, state, closure):
        for v in p.values():
            torch.nn.utils.clip_grad_norm_([v], self.max_norm)


class ClipValue(Transform):
    def __init__(self, max):
        self.tg = "#tg.clip_value<max = %s>" % tg_number(max)
        self.max = max

    def apply(self, p, state, closure):
        torch.nn.utils.clip_grad_value_(list(p.values()), self.max)


class Grokfast(Transform):
    """Lee et al. 2024, the authors' gradfilter_ema."""

    def __init__(self, alpha=0.98, lamb=2.0):
        self.tg = "#tg.grokfast<alpha = %s, lamb = %s>" % (tg_number(alpha), tg_number(lamb))
        self.alpha, self.lamb = alpha, lamb

    def apply(self, p, state, closure):
        for name, v in p.items():
            ema = state[name].get("grokfast_ema", v.grad.detach())
            ema = ema * self.alpha + v.grad.detach() * (1 - self.alpha)
            state[name]["grokfast_ema"] = ema
            v.grad = v.grad + ema * self.lamb


class FiraLimiter(Transform):
    """Chen et al. 2024 ("Fira"), the norm-growth limiter: |g| grows at most
    by gamma per step."""

    def __init__(self, gamma=1.01):
        self.tg = "#tg.fira_limiter<gamma = %s>" % tg_number(gamma)
        self.gamma = gamma

    def apply(self, p, state, closure):
        for name, v in p.items():
            norm = v.grad.double().norm().item()
            previous = float(state[name].get("fira_norm", 0.0))
            scale = 1.0
            if previous > 0 and norm > self.gamma * previous:
                scale = self.gamma * previous / norm
            v.grad.mul_(scale)
            state[name]["fira_norm"] = torch.tensor(norm * scale, dtype=torch.float32)


def philox4x32(seed, counters):
    """Philox 4x32-10 (include/tgc/Philox.h) of the counters (ctr, 0) with
    key `seed`: a [len(counters), 4] array of uint32."""
    M = 0xFFFFFFFF
    c = [counters & M, counters >> 32, np.zeros_like(counters), np.zeros_like(counters)]
    k0, k1 = seed & M, (seed >> 32) & M
    for _ in range(10):
        p0, p1 = np.uint64(0xD2511F53) * c[0], np.uint64(0xCD9E8D57) * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ np.uint64(k0), p1 & np.uint64(M),
             (p0 >> np.uint64(32)) ^ c[3] ^ np.uint64(k1), p0 & np.uint64(M)]
        k0, k1 = (k0 + 0x9E3779B9) & M, (k1 + 0xBB67AE85) & M
    return np.stack(c, axis=1)


def philox_normal(seed, counter, n):
    """n standard normals as tg.random draws them from (seed, counter)."""
    blocks = philox4x32(seed, np.arange(counter, counter + (n + 1) // 2, dtype=np.uint64))
    u = (blocks >> np.uint64(8)).astype(np.float64) / 16777216.0  # [blocks, 4]
    pairs = u.reshape(-1, 2, 2)[:, :, :].reshape(-1, 2)  # lanes (0, 1), (2, 3)
    return (np.sqrt(-2.0 * np.log(1.0 - pairs[:, 0])) * np.cos(2 * math.pi * pairs[:, 1]))[:n]


def philox_stream(name):
    """tgc::philoxStreamForName: the counter base of a global's stream."""
    h = 0xcbf29ce484222325
    for byte in name.encode():
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return (h & ((1 << 21) - 1)) << 32


class GradNoise(Transform):
    """Neelakantan et al. 2015: g + N(0, eta / (1 + t)^gamma), with tgc's
    Philox draws (the parameter's stream, upper half, block (t - 1) n / 2)."""

    def __init__(self, eta=0.01, gamma=0.55, seed=0):
        self.tg = "#tg.grad_noise<eta = %s, gamma = %s, seed = %d>" % (tg_number(eta), tg_number(gamma), seed)
        self.eta, self.gamma, self.seed, self.t = eta, gamma, seed, 0

    @torch.no_grad()
    def apply(self, p, state, closure):
        self.t += 1
        sigma = math.sqrt(self.eta / (1 + self.t) ** self.gamma)
        for name, v in p.items():
            n = v.numel()
            counter = philox_stream(name) + (1 << 31) + (self.t - 1) * ((n + 1) // 2)
            noise = torch.from_numpy(philox_normal(self.seed, counter, n)).float().view_as(v)
            v.grad.add_(noise * sigma)


class DecoupledWeightDecay(Transform):
    """p *= 1 - rate before the step: AdamW's decay (Loshchilov & Hutter)."""

    def __init__(self, rate):
        self.tg = "#tg.decoupled_weight_decay<rate = %s>" % tg_number(rate)
        self.rate = rate

    @torch.no_grad()
    def apply(self, p, state, closure):
        for v in p.values():
            v.mul_(1 - self.rate)


# The tg attribute's name, the PyTorch twin, and keyword arguments for the
# twin; the attribute gets the same arguments (betas as beta1 and beta2).
KINDS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "adamax": torch.optim.Adamax,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "lion": Lion,
    "diffgrad": DiffGrad,
    "adabound": AdaBound,
    "adamod": AdaMod,
    "grams": Grams,
    "ademamix": AdEMAMix,
    "schedule_free_adamw": ScheduleFreeAdamW,
    "dog": DoG,
    "adahessian": AdaHessian,
    "dadapt_adam": DAdaptAdam,
    # The multi-tensor path: the single-tensor one of 1.13 has a bug in
    # mu_product_next (fixed in PyTorch 2.0); see #tg.nadam.
    "nadam": lambda params, **kw: torch.optim.NAdam(params, foreach=True, **kw),
}

# The configurations of the optimizer tests. Two kinds of dynamics amplify
# rounding differences until no two implementations agree, so the tests keep
# clear of them. With L2 weight decay, a weight that the data leaves alone
# has the gradient wd * p, which a normalizing optimizer turns into steps of
# about +-lr: the weight hops around zero, where rounding decides each sign.
# The L2 configurations of RMSprop, NAdam, diffGrad and AMSBound therefore
# take an eps above wd * lr, which puts such weights on a smooth decay. And
# the learning-rate-free methods train at the edge of stability when left to
# grow their steps freely on this small problem (D-Adaptation with an
# unbounded growth rate jumps to losses of 6 within 12 steps): their
# configurations bound the growth (growth_rate) or scale the steps (lr).
OPTIMIZERS = {
    "adam": ("adam", dict(lr=1e-3)),
    "adam-l2-amsgrad": ("adam", dict(lr=2e-3, betas=(0.8, 0.99), eps=1e-6,
                                     weight_decay=1e-2, amsgrad=True)),
    "adamw": ("adamw", dict(lr=1e-3, weight_decay=0.1)),
    "adamw-amsgrad": ("adamw", dict(lr=1e-3, betas=(0.9, 0.95), amsgrad=True)),
    "adamax": ("adamax", dict(lr=2e-3, weight_decay=1e-3)),
    "adagrad": ("adagrad", dict(lr=0.02)),
    "adagrad-decay": ("adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=1e-3,
                                      initial_accumulator_value=0.1, eps=1e-8)),
    "rmsprop": ("rmsprop", dict(lr=1e-3)),
    "rmsprop-momentum-l2": ("rmsprop", dict(lr=5e-4, eps=1e-5, momentum=0.9, weight_decay=1e-3)),
    "rmsprop-centered": ("rmsprop", dict(lr=5e-4, alpha=0.9, momentum=0.5, centered=True)),
    "lion": ("lion", dict(lr=5e-4, weight_decay=0.1)),
    "nadam": ("nadam", dict(lr=2e-3)),
    "nadam-l2": ("nadam", dict(lr=2e-3, betas=(0.85, 0.99), eps=1e-4, weight_decay=1e-2,
                               momentum_decay=1e-2)),
    "diffgrad": ("diffgrad", dict(lr=2e-3, weight_decay=1e-3, eps=1e-5)),
    "adabound": ("adabound", dict(lr=2e-3, final_lr=0.05, gamma=0.01)),
    "amsbound": ("adabound", dict(lr=2e-3, betas=(0.9, 0.99), final_lr=0.05, gamma=0.01,
                                  weight_decay=1e-3, eps=1e-5, amsbound=True)),
    "adamod": ("adamod", dict(lr=2e-3, beta3=0.99, weight_decay=1e-2)),
    "grams": ("grams", dict(lr=1e-3, weight_decay=0.1)),
    "ademamix": ("ademamix", dict(lr=1e-3, betas=(0.9, 0.999, 0.999), alpha=5.0,
                                  beta3_warmup=60, alpha_warmup=40, weight_decay=0.1)),
    "schedule-free-adamw": ("schedule_free_adamw", dict(lr=5e-3, warmup_steps=20,
                                                        weight_decay=1e-2, eps=1e-5)),
    "adahessian": ("adahessian", dict(lr=0.01, eps=1e-4, weight_decay=1e-3, seed=7)),
    "adahessian-power": ("adahessian", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-4, hessian_power=0.5)),
    "dog": ("dog", dict(reps_rel=1e-3, weight_decay=1e-4)),
    "ldog": ("dog", dict(lr=0.5, reps_rel=1e-3, layerwise=True)),
    "dadapt-adam": ("dadapt_adam", dict(d0=1e-3, growth_rate=1.1)),
    "dadapt-adam-decoupled": ("dadapt_adam", dict(betas=(0.9, 0.99), weight_decay=1e-2,
                                                  decouple=True, use_bias_correction=True,
                                                  growth_rate=1.05)),
}

# Schedules, each for a hyperparameter of an optimizer above (60 steps).
OPTIMIZERS.update({
    "sched-constant": ("sgd", dict(lr=constant_schedule(0.05, 0.5, 10), momentum=0.5)),
    "sched-linear-warmup": ("adam", dict(lr=linear_warmup(2e-3, 20, 2e-4))),
    "sched-cosine": ("sgd", dict(lr=cosine(0.05, 60, final=1e-3), momentum=0.5)),
    "sched-cosine-warmup": ("adamw", dict(lr=cosine(2e-3, 50, warmup_steps=10, final=1e-4),
                                          weight_decay=0.1)),
    "sched-linear-decay": ("sgd", dict(lr=linear_decay(0.05, 60, 5e-3))),
    "sched-one-cycle": ("sgd", dict(lr=one_cycle(0.1, 60), momentum=0.5)),
    "sched-wsd": ("adam", dict(lr=wsd(2e-3, 10, 60, 20))),
    # Hyperparameters other than lr.
    "sched-weight-decay": ("adamw", dict(lr=1e-3, weight_decay=cosine(0.2, 60, final=0.01))),
    "sched-momentum": ("sgd", dict(lr=0.02, momentum=linear_warmup(0.9, 30, 0.5))),
})

# Gradient transforms before an optimizer (60 steps): the optimizer, its
# arguments and the chain.
OPTIMIZERS.update({
    "clip-global-norm": ("sgd", dict(lr=0.1, momentum=0.5), [ClipGlobalNorm(0.1)]),
    "clip-norm": ("sgd", dict(lr=0.1), [ClipNorm(0.05)]),
    "clip-value": ("sgd", dict(lr=0.1, momentum=0.5), [ClipValue(5e-3)]),
    "grokfast": ("adam", dict(lr=1e-3), [Grokfast(0.9, 2.0)]),
    "fira-limiter": ("sgd", dict(lr=0.1, momentum=0.5), [FiraLimiter(1.01)]),
    "decoupled-weight-decay": ("adam", dict(lr=1e-3), [DecoupledWeightDecay(1e-3)]),
    "grad-noise": ("sgd", dict(lr=0.1, momentum=0.5), [GradNoise(1e-5, 0.55, seed=3)]),
    "sam": ("sgd", dict(lr=0.1, momentum=0.5), [SAM(0.05)]),
    "sam-adam-clip": ("adam", dict(lr=1e-3), [SAM(0.1), ClipGlobalNorm(0.1)]),
    "transform-chain": ("adamw", dict(lr=1e-3, weight_decay=0.05),
                        [ClipGlobalNorm(0.1), Grokfast(0.98, 2.0)]),
})


def tg_attribute(kind, kwargs):
    """The tg optimizer attribute with PyTorch's keyword arguments."""
    fields = []
    for key, value in kwargs.items():
        if key == "betas":
            fields += ["beta%d = %s" % (i + 1, tg_number(b)) for i, b in enumerate(value)]
        elif isinstance(value, Schedule):
            fields.append("%s = %s" % (key, value.tg))
        elif isinstance(value, bool):
            fields.append("%s = %s" % (key, "true" if value else "false"))
        elif isinstance(value, int):  # a number of steps
            fields.append("%s = %d" % (key, value))
        else:
            fields.append("%s = %s" % (key, tg_number(value)))
    return "#tg.%s<%s>" % (kind, ", ".join(fields)) if fields else "#tg." + kind


def read_safetensors(path):
    """The tensors of a safetensors file, by name."""
    with open(path, "rb") as f:
        data = f.read()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + length])
    dtypes = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = data[8 + length + begin:8 + length + end]
        tensors[name] = np.frombuffer(raw, dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        sys.exit("FAIL: %s exited with %d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("--tgc", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--runtime", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--optimizer", choices=sorted(OPTIMIZERS),
                    help="train with this optimizer instead of the spec's")
    ap.add_argument("--loss", choices=sorted(LOSSES),
                    help="train the small perceptron with this loss instead of cross-entropy")
    ap.add_argument("--loss-rtol", type=float, default=LOSS_RTOL,
                    help="largest relative loss difference allowed at any step")
    ap.add_argument("--weight-rtol", type=float, default=WEIGHT_RTOL,
                    help="largest relative difference of a final weight")
    ap.add_argument("--state-rtol", type=float,
                    help="largest relative difference of final optimizer state "
                         "(default: --weight-rtol)")
    ap.add_argument("--autocast", action="store_true",
                    help="bf16 mixed precision: tgc --autocast=bf16 against torch.autocast")
    ap.add_argument("--eval-every", type=int, default=0,
                    help="evaluate every N steps as the runtime does (eval view, eval-mode "
                         "loss and logits) and compare, and the final checkpoint")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--verbose", action="store_true", help="print both losses of every step")
    args = ap.parse_args()
    model = MODELS[args.model]()
    work = args.work
    os.makedirs(work, exist_ok=True)
    t0 = time.time()

    # The spec, with the optimizer under test.
    kind, kwargs, *rest = OPTIMIZERS[args.optimizer] if args.optimizer else model.optimizer
    transforms = rest[0] if rest else []
    attribute = tg_attribute(kind, kwargs)
    if transforms:
        attribute += " transforms [%s]" % ", ".join(t.tg for t in transforms)
    with open(os.path.join(ROOT, model.spec)) as f:
        text = f.read()
    if hasattr(model, "spec_text"):
        text = model.spec_text(text)
    text, count = re.subn(r"optimizer #tg\.\w+<[^>]*>", lambda _: "optimizer " + attribute, text)
    if count != 1:
        sys.exit("FAIL: %s has %d train steps, expected one" % (model.spec, count))
    if args.loss:
        if args.model != "small":
            sys.exit("FAIL: --loss applies to the small model")
        line, model.loss_fn = LOSSES[args.loss]
        text, count = re.subn(r"%loss = tg\.softmax_cross_entropy[^\n]*", lambda _: line, text)
        if count != 1:
            sys.exit("FAIL: %s has %d cross-entropy losses, expected one" % (model.spec, count))
        attribute += " " + args.loss
    spec = os.path.join(work, "spec.mlir")
    with open(spec, "w") as f:
        f.write(text)

    # Build the harness.
    lib = os.path.join(work, "libmodel.a")
    exe = os.path.join(work, "parity_main")
    run([args.tgc, spec, "--emit=lib", "-o", lib] + (["--autocast=bf16"] if args.autocast else []))
    run([args.cc, "-O2", "-std=c99", "-I", args.include, os.path.join(HERE, "parity_main.c"),
         lib, args.runtime, "-lz", "-lpthread", "-lstdc++", "-lm", "-o", exe])
    t_build = time.time()

    # The same initial weights and batches for both.
    gen = torch.Generator().manual_seed(args.seed)
    params = model.params(gen)
    # State that the step updates without training it (running statistics).
    buffers = model.buffers(gen) if hasattr(model, "buffers") else {}
    # With --eval-every, one more batch of the same data to evaluate on.
    inputs = model.batches(gen, args.steps + (1 if args.eval_every else 0))
    eval_inputs = [t[args.steps:] for t in inputs] if args.eval_every else []
    inputs = [t[:args.steps] for t in inputs]
    for name, value in list(params.items()) + list(buffers.items()):
        np.save(os.path.join(work, name + ".npy"), value.numpy())
    for i, value in enumerate(inputs):
        np.save(os.path.join(work, "inputs_%d.npy" % i), value.numpy())
    for i, value in enumerate(eval_inputs):
        np.save(os.path.join(work, "eval_inputs_%d.npy" % i), value.numpy())

    # The harness runs while PyTorch trains.
    harness = subprocess.Popen([exe, work, str(args.steps)] +
                               ([str(args.eval_every)] if args.eval_every else []),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    # PyTorch.
    torch.manual_seed(args.seed)
    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    model.state = {k: v.clone() for k, v in buffers.items()}
    schedules = {key: v for key, v in kwargs.items() if isinstance(v, Schedule)}
    opt = KINDS[kind](list(p.values()), **{key: v.base if key in schedules else v
                                           for key, v in kwargs.items()})
    lr = schedules.get("lr")
    schedulers = [lr.scheduler(opt)] if lr and lr.scheduler else []
    transform_state = {name: {} for name in p}
    torch_losses = []
    torch_evals = {}  # steps taken -> (eval loss, logits)

    def in_eval_view(compute):
        """compute() between the optimizer's eval() and train(), if it has them."""
        if hasattr(opt, "eval"):
            opt.eval()
        with torch.no_grad():
            result = compute()
        if hasattr(opt, "train"):
            opt.train()
        return result

    for k in range(args.steps):
        for key, v in schedules.items():
            if not (key == "lr" and v.scheduler):
                opt.param_groups[0][key] = v.value(k)
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.autocast):
            loss = model.loss(p, *[t[k] for t in inputs])
        if isinstance(opt, AdaHessian):
            # Hutchinson: H z by double backpropagation along tgc's probes.
            grads = torch.autograd.grad(loss, list(p.values()), create_graph=True)
            zs = opt.probes(p, k + 1)
            hzs = torch.autograd.grad(grads, list(p.values()), grad_outputs=list(zs.values()))
            for (name, v), g, hz in zip(p.items(), grads, hzs):
                v.grad = g.detach()
                opt.hessian[v] = hz * zs[name]
        else:
            loss.backward()

        def closure():
            opt.zero_grad()
            model.loss(p, *[t[k] for t in inputs]).backward()

        for transform in transforms:
            transform.apply(p, transform_state, closure)
        opt.step()
        for scheduler in schedulers:
            scheduler.step()
        torch_losses.append(loss.item())
        if args.eval_every and (k + 1) % args.eval_every == 0:
            batch = [t[0] for t in eval_inputs]
            torch_evals[k + 1] = in_eval_view(
                lambda: (model.eval_loss(p, *batch).item(), model.eval_logits(p, batch[0])))
    # The final checkpoint holds the eval view.
    checkpoint_expected = in_eval_view(
        lambda: {k: v.detach().clone() for k, v in p.items()}) if args.eval_every else {}
    t_torch = time.time()

    out, err = harness.communicate()
    if harness.returncode != 0:
        sys.exit("FAIL: parity_main exited with %d\n%s%s" % (harness.returncode, out, err))
    tgc_losses = [float(line.split()[2]) for line in out.splitlines() if line.startswith("step ")]
    if len(tgc_losses) != args.steps:
        sys.exit("FAIL: the harness printed %d losses, expected %d\n%s" % (len(tgc_losses), args.steps, out))
    t_tgc = time.time()

    if args.verbose:
        for k, (a, b) in enumerate(zip(tgc_losses, torch_losses)):
            print("step %d tgc %.9g torch %.9g rel %.3g" % (k, a, b, abs(a - b) / abs(b)))

    failures = []
    # Evaluations: the eval-mode loss and logits, in the eval view.
    tgc_evals = {int(line.split()[1]): float(line.split()[2])
                 for line in out.splitlines() if line.startswith("eval ")}
    if set(tgc_evals) != set(torch_evals):
        failures.append("the harness evaluated after steps %s, expected %s"
                        % (sorted(tgc_evals), sorted(torch_evals)))
    max_eval_rel = max_logits_rel = 0.0
    for k, (torch_loss, torch_logits) in torch_evals.items():
        if k not in tgc_evals:
            continue
        r = abs(tgc_evals[k] - torch_loss) / abs(torch_loss)
        max_eval_rel = max(max_eval_rel, r)
        if not r < args.loss_rtol:
            failures.append("eval after step %d: loss %.9g (tgc) vs %.9g (torch), relative "
                            "difference %.3g" % (k, tgc_evals[k], torch_loss, r))
        path = os.path.join(work, "eval_logits_%d.npy" % k)
        if (torch_logits is None) != (not os.path.exists(path)):
            failures.append("eval after step %d: logits from only one side" % k)
        elif torch_logits is not None:
            got = torch.from_numpy(np.load(path))
            r = ((got - torch_logits).abs().max() / torch_logits.abs().max()).item()
            max_logits_rel = max(max_logits_rel, r)
            if not r < args.loss_rtol:
                failures.append("eval after step %d: max |logits tgc - torch| / max |torch| "
                                "= %.3g" % (k, r))
    if checkpoint_expected:
        saved = read_safetensors(os.path.join(work, "final.safetensors"))
        for name, want in checkpoint_expected.items():
            r = ((torch.from_numpy(saved[name].copy()) - want).abs().max()
                 / want.abs().max().clamp_min(1e-30)).item()
            if not r < WEIGHT_RTOL:
                failures.append("checkpoint %s: max |tgc - torch| / max |torch| = %.3g"
                                % (name, r))
    view_error = getattr(opt, "eval_view_error", 0.0)
    if not view_error < 1e-5:
        failures.append("the reference's eval view is %.3g from its x" % view_error)
    if args.eval_every:
        print("evaluations after %s steps: max relative eval loss difference %.3g, logits %.3g; "
              "the reference's eval view vs its x %.3g" % (sorted(torch_evals), max_eval_rel,
                                                           max_logits_rel, view_error))

    rel = [abs(a - b) / abs(b) for a, b in zip(tgc_losses, torch_losses)]
    worst = max(range(args.steps), key=lambda k: rel[k])
    if not rel[worst] < args.loss_rtol:  # also catches NaN
        failures.append("step %d: loss %.9g (tgc) vs %.9g (torch), relative difference %.3g"
                        % (worst, tgc_losses[worst], torch_losses[worst], rel[worst]))

    # Final weights and optimizer state: tg names its state globals
    # <param>_<slot> after PyTorch's state keys.
    expected = {k: v.detach() for k, v in p.items()}
    expected.update(model.state)
    for k, v in p.items():
        for key, value in opt.state[v].items():
            if key != "step" and isinstance(value, torch.Tensor):
                expected[k + "_" + key] = value
    for name, slots in transform_state.items():
        for key, value in slots.items():
            expected[name + "_" + key] = value
    for key, value in getattr(opt, "shared", {}).items():
        expected["train_step_" + key] = torch.tensor(value, dtype=torch.float64)
    finals = {n[len("final_"):-len(".npy")] for n in os.listdir(work)
              if n.startswith("final_") and n.endswith(".npy") and not n.endswith("_step.npy")}
    for name in sorted(finals - set(expected)):
        failures.append("tgc keeps %s, which PyTorch does not" % name)
    max_weight_rel, worst_tensor = 0.0, ""
    for name, want in expected.items():
        path = os.path.join(work, "final_%s.npy" % name)
        if not os.path.exists(path):
            failures.append("no final value of %s from the harness" % name)
            continue
        got = torch.from_numpy(np.load(path))
        if got.shape != want.shape:
            failures.append("%s: shape %s (tgc) vs %s (torch)" % (name, tuple(got.shape), tuple(want.shape)))
            continue
        r = ((got - want).abs().max() / want.abs().max().clamp_min(1e-30)).item()
        default = args.weight_rtol if name in p or args.state_rtol is None else args.state_rtol
        tolerance = getattr(model, "tolerances", {}).get(name, default)
        if not r < tolerance:
            failures.append("final %s: max |tgc - torch| / max |torch| = %.3g" % (name, r))
        elif tolerance == args.weight_rtol and not r <= max_weight_rel:
            max_weight_rel, worst_tensor = r, name
    counters = [n for n in os.listdir(work) if n.startswith("final_") and n.endswith("_step.npy")]
    for n in counters:
        if int(np.load(os.path.join(work, n))) != args.steps:
            failures.append("%s is %s, expected %d" % (n, np.load(os.path.join(work, n)), args.steps))

    print("%s %s%s: %d steps, loss %.6f -> %.6f; max relative loss difference %.3g (step %d); "
          "max relative final weight difference %.3g (%s); build %.1fs, torch %.1fs, total %.1fs"
          % (args.model, attribute, " autocast bf16" if args.autocast else "", args.steps, torch_losses[0], torch_losses[-1], rel[worst],
             worst, max_weight_rel, worst_tensor, t_build - t0, t_torch - t_build, t_tgc - t0))
    if args.steps > 1 and torch_losses[-1] >= torch_losses[0]:
        failures.append("the loss did not decrease (%.6f -> %.6f): the test learns nothing"
                        % (torch_losses[0], torch_losses[-1]))
    for f in failures:
        print("FAIL: " + f)
    print("PASS" if not failures else "FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
