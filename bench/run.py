#!/usr/bin/python3
"""Benchmarks tgc against PyTorch on this machine, interleaved in one run.

    /usr/bin/python3 bench/run.py [--only B2,B7] [--rounds 5] [--build build]

Each benchmark compiles a spec with tgc (bench/specs.py), times its step with
bench/step_bench.c, and times the same model in PyTorch (bench/torch_peer.py,
given its best CPU setting: tcmalloc preloaded, OPENBLAS_CORETYPE=SkylakeX
on CPUs with AVX-512, the same thread count). Rounds alternate tgc and PyTorch; the table gives
the median over rounds of each round's median step time, the speed ratio
(PyTorch time / tgc time: above 1 means tgc is faster), and the roofline:
FLOPs and DRAM bytes of a step and the time they need at the machine's
limits. For B1 and B1u (the optimizer update) it also measures the machine's
bandwidth for the same traffic on arrays of the same size (bench/bandwidth.c)
and prints tgc's step time as a fraction of the time that traffic needs.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import specs  # noqa: E402

TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"


def optimizer_attr(opt):
    if opt["kind"] == "sgd":
        return f"#tg.sgd<lr = {opt['lr']}, momentum = {opt.get('momentum', 0.0)}>"
    if opt["kind"] == "adam":
        return f"#tg.adam<lr = {opt['lr']}>"
    if opt["kind"] == "adamw":
        return f"#tg.adamw<lr = {opt['lr']}, weight_decay = {opt.get('weight_decay', 0.01)}>"
    raise SystemExit(f"run.py: no tg attribute for optimizer {opt['kind']}")


def optimizer_bytes(opt, num_params):
    """DRAM bytes of the update: parameters, gradients and state, read and written."""
    state = {"sgd": 1 if opt.get("momentum") else 0, "adam": 2, "adamw": 2}[opt["kind"]]
    return 4 * num_params * (2 + 1 + 2 * state)


class MLP:
    def __init__(self, name, sizes, batch, optimizer, steps):
        self.name, self.sizes, self.batch, self.opt, self.steps = name, sizes, batch, optimizer, steps
        self.classes = sizes[-1]
        self.title = f"MLP {'-'.join(map(str, sizes))}, batch {batch}, {optimizer['kind']}"

    def spec(self):
        return specs.mlp(self.name, self.sizes, self.batch, optimizer_attr(self.opt))

    def peer(self):
        return "mlp", {"sizes": self.sizes, "batch": self.batch, "optimizer": self.opt}

    def roofline(self):
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        weights = sum(i * o for i, o in pairs)
        # Forward, weight gradients, input gradients (none for the first layer).
        flops = 2 * self.batch * (3 * weights - self.sizes[0] * self.sizes[1])
        params = weights + sum(o for _, o in pairs)
        activations = self.batch * sum(self.sizes)
        # Weights read twice (forward, backward), activations written and read
        # back, then the update.
        bytes_ = 4 * (2 * weights + 4 * activations) + optimizer_bytes(self.opt, params)
        return flops, bytes_


class Transformer:
    def __init__(self, name, B, T, D, H, FF, C, optimizer, steps):
        self.name, self.opt, self.steps = name, optimizer, steps
        self.dims = dict(B=B, T=T, D=D, H=H, FF=FF, C=C)
        self.classes = C
        self.title = f"transformer block d={D} h={H} T={T} B={B}, {optimizer['kind']}"

    def spec(self):
        d = self.dims
        return specs.transformer(d["B"], d["T"], d["D"], d["H"], d["FF"], d["C"],
                                 optimizer_attr(self.opt))

    def peer(self):
        return "transformer", dict(self.dims, optimizer=self.opt)

    def roofline(self):
        B, T, D, FF, C = (self.dims[k] for k in ("B", "T", "D", "FF", "C"))
        tokens = B * T
        weights = 4 * D * D + 2 * D * FF + C * D
        dense = 2 * tokens * weights * 3
        attention = 2 * B * T * T * D * 2 * 3  # scores and values, fwd + 2 bwd
        params = weights + 6 * D + FF + C
        activations = tokens * (12 * D + 3 * FF) + B * self.dims["H"] * T * T * 2
        bytes_ = 4 * (2 * weights + 2 * activations) + optimizer_bytes(self.opt, params)
        return dense + attention, bytes_


class ElementwiseChain:
    def __init__(self, rows, cols, optimizer, steps):
        self.name, self.rows, self.cols, self.opt, self.steps = "b5_chain", rows, cols, optimizer, steps
        self.classes = 1
        self.title = f"8 elementwise ops fwd+bwd, {rows * cols // 2**20}M, {optimizer['kind']}"

    def spec(self):
        return specs.elementwise_chain(self.rows, self.cols, optimizer_attr(self.opt))

    def peer(self):
        return "chain", {"rows": self.rows, "cols": self.cols, "optimizer": self.opt}

    def roofline(self):
        n = self.rows * self.cols
        # At best: the forward reads p once (the mean is fused in), the
        # backward reads p and writes the gradient, the update as listed.
        return 30 * n, 4 * n * 3 + optimizer_bytes(self.opt, n)


class CrossEntropy:
    def __init__(self, rows, classes, optimizer, steps):
        self.name, self.rows, self.opt, self.steps = f"xent_{rows}x{classes}", rows, optimizer, steps
        self.classes = classes
        self.title = f"softmax-CE fwd+bwd {rows}x{classes}, {optimizer['kind']}"

    def spec(self):
        return specs.cross_entropy(self.rows, self.classes, optimizer_attr(self.opt))

    def peer(self):
        return "xent", {"rows": self.rows, "classes": self.classes, "optimizer": self.opt}

    def roofline(self):
        n = self.rows * self.classes
        # Forward: read the logits once (online max and sum); backward: read
        # them again and write the gradient; the update as listed.
        return 6 * n, 4 * n * 3 + optimizer_bytes(self.opt, n)


class OptimizerUpdate:
    def __init__(self, count, size, optimizer, steps):
        self.name, self.count, self.size, self.opt, self.steps = "b1_update", count, size, optimizer, steps
        self.classes = 1
        self.title = f"{optimizer['kind']} update, {count * size // 10**6}M params in {count} tensors"

    def spec(self):
        return specs.optimizer_update(self.count, self.size, optimizer_attr(self.opt))

    def peer(self):
        return "update", {"count": self.count, "size": self.size, "optimizer": self.opt}

    def roofline(self):
        # The update alone (PyTorch's step); tgc also reads p and g once for
        # its loss, sum(p * g), which gives it the gradient g.
        n = self.count * self.size
        return 12 * n, optimizer_bytes(self.opt, n)

    def floor_us(self, ceilings):
        """The step's time at the bandwidths bench/bandwidth.c measured
        (GB/s): the loss reads p and g, the update moves p, m, v and g."""
        n = self.count * self.size
        return (8 * n / ceilings["read2"] + 28 * n / ceilings["update4"]) / 1e3


class OptimizerUpdateAlone(OptimizerUpdate):
    """B1's update without the loss's reads: the loss is the sum of each
    parameter's first element, so the gradient is one-hot and computed in
    the update's loop. PyTorch's peer is B1's (it has no loss either)."""

    def __init__(self, count, size, optimizer, steps):
        super().__init__(count, size, optimizer, steps)
        self.name = "b1_update_alone"
        self.title = f"{optimizer['kind']} update alone (one-hot gradient), {count * size // 10**6}M"

    def spec(self):
        return specs.adamw_update(self.count, self.size, optimizer_attr(self.opt))

    def roofline(self):
        # Parameters and state read and written; the gradient is not read.
        n = self.count * self.size
        return 12 * n, optimizer_bytes(self.opt, n) - 4 * n

    def floor_us(self, ceilings):
        return 24 * self.count * self.size / ceilings["update3"] / 1e3


def benchmarks(args):
    sgd = {"kind": "sgd", "lr": 0.01, "momentum": 0.9}
    plain_sgd = {"kind": "sgd", "lr": 0.01}
    adam = {"kind": "adam", "lr": 1e-3}
    adamw = {"kind": "adamw", "lr": 1e-3, "weight_decay": 0.01}
    return {
        "B1": OptimizerUpdate(200, 50000, adamw, 20),
        "B1u": OptimizerUpdateAlone(200, 50000, adamw, 20),
        "B2": MLP("b2_mlp", [784, 512, 512, 10], 128, adam, 100),
        "B3": Transformer("b3_transformer", 16, 128, 256, 4, 1024, 16, adamw, 10),
        "B4": CrossEntropy(2048, 32768, plain_sgd, 10),
        # GPT-2's vocabulary, which no lane count divides.
        "B4v": CrossEntropy(1024, 50257, plain_sgd, 10),
        "B5": ElementwiseChain(4096, 4096, plain_sgd, 10),
        "B7": MLP("b7_tiny_mlp", [64, 64, 10], 32, sgd, 20000),
    }


def run(cmd, env=None):
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise SystemExit(f"run.py: {' '.join(cmd)} failed:\n{result.stderr}")
    return result.stdout


def build_tgc(bench, args, work):
    spec = os.path.join(work, bench.name + ".mlir")
    with open(spec, "w") as f:
        f.write(bench.spec())
    lib = os.path.join(work, f"lib{bench.name}.a")
    start = time.perf_counter()
    run([args.tgc, spec, "--emit=lib", "-O3", "-o", lib])
    compile_seconds = time.perf_counter() - start
    exe = os.path.join(work, bench.name)
    run(["cc", "-O2", os.path.join(HERE, "step_bench.c"), lib, args.runtime, "-I",
         os.path.join(ROOT, "include"), "-lz", "-lpthread", "-lm", "-lstdc++", "-o", exe])
    return exe, spec, compile_seconds


def measure_ceilings(n, args, work):
    """bench/bandwidth.c's GB/s on arrays of n floats."""
    exe = os.path.join(work, "bandwidth")
    run(["cc", "-O3", "-march=native", "-ffast-math", "-fopenmp", os.path.join(HERE, "bandwidth.c"),
         "-o", exe])
    out = run([exe, str(n)], env=dict(os.environ, OMP_NUM_THREADS=str(args.threads)))
    return dict(zip(["update3", "update4", "read2"], map(float, out.split())))


def median_line(output):
    median, p10, p90, loss = output.split()
    return float(median), float(loss)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated benchmark ids (default: all)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = parser.parse_args()
    args.tgc = os.path.join(args.build, "bin", "tgc")
    args.runtime = os.path.join(args.build, "runtime", "libTGCRuntime.a")
    selected = benchmarks(args)
    if args.only:
        selected = {k: v for k, v in selected.items() if k in args.only.split(",")}

    tgc_env = dict(os.environ, TGC_NUM_THREADS=str(args.threads))
    torch_env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
                     OPENBLAS_NUM_THREADS=str(args.threads))
    # OpenBLAS's AVX-512 kernels where the CPU has AVX-512 (its detection
    # misses some virtualized Xeons); elsewhere they would be illegal
    # instructions, and OpenBLAS picks its kernels itself.
    with open("/proc/cpuinfo") as cpuinfo:
        if " avx512f" in cpuinfo.read():
            torch_env["OPENBLAS_CORETYPE"] = "SkylakeX"
    if os.path.exists(TCMALLOC):
        torch_env["LD_PRELOAD"] = TCMALLOC
    # Debian's PyTorch calls whichever BLAS the alternatives system names; the
    # reference BLAS is some 20x slower than OpenBLAS, no fair peer.
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    if "openblas" not in blas:
        sys.exit(f"run.py: PyTorch's BLAS is {blas}, not OpenBLAS: run scripts/bench.sh, which "
                 "installs it (scripts/setup.sh --bench)")
    coretype = torch_env.get("OPENBLAS_CORETYPE", "detected")
    print(f"# {time.strftime('%Y-%m-%d')}, {args.threads} threads, {args.rounds} rounds; PyTorch "
          f"{'with tcmalloc, ' if 'LD_PRELOAD' in torch_env else ''}OPENBLAS_CORETYPE={coretype}")
    print(f"{'bench':5} {'what':48} {'tgc':>11} {'PyTorch':>11} {'speedup':>8} "
          f"{'GFLOP':>7} {'MB':>7} {'tgc GFLOP/s':>11} {'tgc GB/s':>8}")
    with tempfile.TemporaryDirectory(prefix="tgc-bench-") as work:
        for key, bench in selected.items():
            exe, spec, compile_seconds = build_tgc(bench, args, work)
            kind, config = bench.peer()
            warmup = max(2, bench.steps // 10)
            tgc_times, torch_times = [], []
            for _ in range(args.rounds):
                out = run([exe, str(bench.steps), str(warmup), str(bench.classes)], env=tgc_env)
                tgc_times.append(median_line(out)[0])
                out = run(["/usr/bin/python3", os.path.join(HERE, "torch_peer.py"), kind,
                           json.dumps(config), str(bench.steps), str(warmup)], env=torch_env)
                torch_times.append(median_line(out)[0])
            t, p = statistics.median(tgc_times), statistics.median(torch_times)
            flops, bytes_ = bench.roofline()
            print(f"{key:5} {bench.title:48} {t:9.1f}us {p:9.1f}us {p / t:7.2f}x "
                  f"{flops / 1e9:7.3f} {bytes_ / 1e6:7.1f} {flops / t / 1e3:11.1f} "
                  f"{bytes_ / t / 1e3:8.1f}", flush=True)
            if hasattr(bench, "floor_us"):
                ceilings = measure_ceilings(bench.count * bench.size, args, work)
                floor = bench.floor_us(ceilings)
                print(f"{key:5} at the measured bandwidth of its traffic (bench/bandwidth.c: "
                      f"{', '.join(f'{k} {v:.1f} GB/s' for k, v in ceilings.items())}): "
                      f"{floor:.1f}us, tgc at {100 * floor / t:.0f}%", flush=True)
            if key == "B3":
                print(f"B6    compile time of the B3 step (tgc --emit=lib -O3)   {compile_seconds:8.2f}s")


if __name__ == "__main__":
    main()
