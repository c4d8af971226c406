#!/usr/bin/env python3
"""Feeds tgc-opt a few hundred broken variants of a spec and checks that it
never crashes: each run must either accept the input (exit 0) or reject it
with an `error:` diagnostic located at a line and column of the input (exit
1). A signal, another exit code, a hang, a crash banner ("PLEASE submit a bug
report", "Stack dump", "Assertion ... failed", "LLVM ERROR", "UNREACHABLE")
or a rejection without a located error is a failure: the input is shrunk
and printed so it can become a test.

The variants are derived deterministically (fixed seed) from the spec:
truncations at many byte offsets, deleted / duplicated / swapped / spliced
lines, random byte flips, insertions (NUL and non-UTF-8 bytes included) and
deletions, swapped and replaced tokens, boundary numbers (0, -1, 2^63, 1e400,
`?` dimensions), other element types and attributes, and snippets of
well-formed tg code with random operands.

  fuzz_spec.py TGC_OPT SPEC [--count N] [--seed S] [--jobs J] [--save DIR]
"""

import argparse
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

CRASH_MARKERS = (
    b"PLEASE submit a bug report",
    b"Stack dump",
    b"Assertion",
    b"LLVM ERROR",
    b"UNREACHABLE",
)

# Interesting replacements, by kind.
NUMBERS = [
    "0", "1", "-1", "2", "10", "0.0", "-0.0", "1.0", "-1.0", "0.5", "1e400",
    "-1e400", "1e-400", "1.0e+308", "2147483648", "4294967296",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "18446744073709551616", "0x7FC00000", "0x7FF0000000000000", "0xFFFFFFFF",
    "1.5", "3",
]
ELEMENT_TYPES = [
    "f16", "bf16", "f32", "f64", "i1", "i8", "i32", "i64", "ui32", "si32",
    "index", "f8E4M3FN", "complex<f32>", "none", "i0", "i65536",
]
TYPES = [
    "tensor<f32>", "tensor<i32>", "tensor<128xf32>", "tensor<?xf32>",
    "tensor<?x?xf32>", "tensor<*xf32>", "tensor<0x784xf32>", "tensor<128x0xf32>",
    "tensor<1x1x1x1x1x1x1x1xf32>", "tensor<128x10xi32>", "tensor<128x10xf16>",
    "tensor<9223372036854775807x2xf32>", "tensor<4294967296x4294967296xf32>",
    "memref<128xf32>", "vector<4xf32>", "f32", "i32", "index", "none",
    "tuple<>", "!tg.nothing", "tensor<128x784xcomplex<f32>>",
    "tensor<10x512xf32, #tg.zeros>",
]
ATTRIBUTES = [
    "#tg.zeros", "#tg.ones", "#tg.constant<1.5>", "#tg.constant<1e400>",
    "#tg.normal<std = 0.02>", "#tg.normal<std = 0.0>", "#tg.normal<mean = 1.0>",
    "#tg.normal<std = 1.0, mean = -1e400>", "#tg.uniform<1.0, 1.0>",
    "#tg.uniform<-1e400, 1e400>", "#tg.kaiming_uniform", "#tg.kaiming_uniform<>",
    "#tg.kaiming_normal<mode = fan_out>", "#tg.kaiming_normal<a = -1.0, mode = fan_in>",
    "#tg.xavier_uniform<gain = -1.0>", "#tg.xavier_normal<gain = 0.0>",
    "#tg.xavier_normal", "#tg.sgd<lr = 0.1>", "#tg.sgd<lr = 1e400>",
    "#tg.sgd<lr = 0.1, momentum = 0.5, nesterov = true, weight_decay = 1e-4>",
    "#tg.sgd<lr = 0.1, weight_decay = -1.0>", "#tg.sgd<lr = 0.1, lr = 0.2>",
    "#tg.sgd<>", "#tg.sgd", "#tg<reduction sum>", "#tg<fan_mode fan_out>",
    "#tg.unknown<1>", "dense<1.0> : tensor<512xf32>", "dense<> : tensor<0xf32>",
    "dense<[1, 2]> : tensor<2xi32>", "dense<0x00> : tensor<1xi8>",
    "dense_resource<blob> : tensor<4xf32>", "unit", "0 : i32", "\"str\"",
    "[]", "{}", "@forward", "@missing", "array<i64: 1, 2>", "#tg",
    "affine_map<(d0) -> (d0)>",
]
SNIPPETS = [
    "{v} = ml_program.global_load {g} : {t}",
    "{v} = tg.relu {a} : {t}",
    "{v} = tg.exp {a} : {t}",
    "{v} = tg.add {a}, {b} : {t}",
    "{v} = tg.add {a}, {b} : {t}, {t2} -> {t3}",
    "{v} = tg.mul {a}, {b} : {t}, {t2} -> {t3}",
    "{v} = tg.matmul {a}, {b} transpose_rhs : {t}, {t2} -> {t3}",
    "{v} = tg.linear {a}, {b} : {t}, {t2} -> {t3}",
    "{v} = tg.reduce_sum {a} [{n}] : {t} -> {t2}",
    "{v} = tg.reduce_mean {a} [{n}, {n2}] keepdim : {t} -> {t2}",
    "{v} = tg.transpose {a} [{n}, {n2}] : {t} -> {t2}",
    "{v} = tg.reshape {a} : {t} -> {t2}",
    "{v} = tg.broadcast_to {a} : {t} -> {t2}",
    "{v} = tg.slice {a} [{n}, {n2}] to [{n2}, {n}] step [{n}, {n}] : {t} -> {t2}",
    "{v} = tg.pad {a} low [{n}, {n2}] high [{n2}, {n}] value 0.0 : {t} -> {t2}",
    "{v} = tg.concat {a}, {b} axis {n} : {t}, {t2} -> {t3}",
    "{v} = tg.gather {a}[{b}] axis {n} : {t}, {t2} -> {t3}",
    "{v} = tg.one_hot {a} classes {n} : {t} -> {t2}",
    "{v} = tg.softmax {a} axis {n} : {t}",
    "{v} = tg.fill {num} : {t}",
    "{v} = tg.iota {n} : {t}",
    "{v} = tg.cast {a} : {t} to {t2}",
    "{v} = tg.constant dense<{num}> : {t}",
    "{v} = tg.compare lt {a}, {b} : {t}, {t2} -> {t3}",
    "{v} = tg.select {a}, {b}, {b} : {t}, {t2}, {t2} -> {t3}",
    "{v} = tg.softmax_cross_entropy {a}, {b} : {t}, {t2} -> {t3}",
    "{v} = tg.mse_loss {a}, {b} reduction = sum : {t} -> {t2}",
    "{v} = tg.dropout {a}, {b}, {b} rate {num} : {t}, {t2}, {t2}",
    "{v} = tg.conv2d {a}, {b} padding [{n}, {n2}] : {t}, {t2} -> {t3}",
    "{v} = tg.attention {a}, {a}, {b} causal : {t}, {t}, {t2} -> {t3}",
    "{v} = tg.layer_norm {a}, {b}, {b} : {t}, {t2}, {t2} -> {t3}",
    "{v} = tg.embedding {a}[{b}] : {t}, {t2} -> {t3}",
    "{v} = tg.stop_gradient {a} : {t}",
    "{v} = func.call {g}({a}) : ({t}) -> {t2}",
    "ml_program.global private mutable {g2}({attr}) : {t}",
    "ml_program.global private {g2}({attr}) : {t}",
    "ml_program.global_store {g} = {a} : {t}",
    "tg.train_step {g2} loss {g} optimizer {attr}",
    "tg.train_step {g2} loss @loss params [{g}, {g}] optimizer #tg.sgd<lr = 0.1>",
    "tg.train_step {g2} loss @loss params [] optimizer #tg.sgd<lr = 0.1>",
    "tg.train_step {g2} loss {g} params [{g}] optimizer #tg.sgd<lr = 0.1>",
    "func.func private {g2}({a}: {t}) -> {t2}",
    "func.func {g2}() -> {t} {{ {v} = ml_program.global_load {g} : {t} return {v} : {t} }}",
    "return {a} : {t}",
    "\"tg.relu\"({a}) : ({t}) -> {t2}",
    "{v} = \"tg.add\"({a}, {b}) : ({t}, {t2}) -> {t3}",
    "\"tg.train_step\"() <{{sym_name = \"s\", loss = {g}, optimizer = {attr}}}> : () -> ()",
    "\"tg.train_step\"() <{{sym_name = \"s\", loss = {g}, params = [{attr}], optimizer = #tg.sgd<lr = 1.0>}}> : () -> ()",
    "{v} = \"tg.reduce_sum\"({a}) <{{axes = {attr}}}> : ({t}) -> {t2}",
    "{v} = \"tg.matmul\"({a}) : ({t}) -> {t2}",
    "{v}:2 = \"tg.relu\"({a}) : ({t}) -> ({t2}, {t2})",
]

TOKEN_RE = re.compile(
    rb"%[\w.$:#-]+|@[\w.$-]+|#[\w.]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_][\w.$]*"
    rb"|->|\S")
NUMBER_RE = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
TYPE_RE = re.compile(rb"tensor<[^<>]*>")
ELEMENT_RE = re.compile(rb"\b(?:f16|bf16|f32|f64|i1|i8|i32|i64)\b")
ATTR_RE = re.compile(rb"#tg\.\w+(?:<[^<>]*>)?")
VALUE_RE = re.compile(rb"%[\w.$-]+")
SYMBOL_RE = re.compile(rb"@[\w.$-]+")


class Mutator:
    """Makes the variants of one spec from one random generator."""

    def __init__(self, spec, rng):
        self.spec = spec
        self.rng = rng
        self.lines = spec.split(b"\n")
        self.tokens = [m.span() for m in TOKEN_RE.finditer(spec)]
        self.values = sorted(set(VALUE_RE.findall(spec))) or [b"%x"]
        self.symbols = sorted(set(SYMBOL_RE.findall(spec))) or [b"@x"]
        self.types = sorted(set(TYPE_RE.findall(spec))) or [b"tensor<f32>"]

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    # Each mutation returns (description, bytes).
    def truncate(self, offset):
        return "truncated at byte %d" % offset, self.spec[:offset]

    def delete_lines(self):
        lines = list(self.lines)
        start = self.rng.randrange(len(lines))
        count = self.rng.randint(1, 3)
        del lines[start:start + count]
        return "deleted lines %d-%d" % (start + 1, start + count), b"\n".join(lines)

    def duplicate_line(self):
        lines = list(self.lines)
        i = self.rng.randrange(len(lines))
        lines.insert(i, lines[i])
        return "duplicated line %d" % (i + 1), b"\n".join(lines)

    def swap_lines(self):
        lines = list(self.lines)
        i, j = self.rng.randrange(len(lines)), self.rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return "swapped lines %d and %d" % (i + 1, j + 1), b"\n".join(lines)

    def splice_line(self):
        lines = list(self.lines)
        src, dst = self.rng.randrange(len(lines)), self.rng.randrange(len(lines))
        lines.insert(dst, lines[src])
        return "copied line %d before line %d" % (src + 1, dst + 1), b"\n".join(lines)

    def flip_bytes(self):
        data = bytearray(self.spec)
        n = self.rng.randint(1, 4)
        for _ in range(n):
            data[self.rng.randrange(len(data))] = self.rng.randrange(256)
        return "%d random bytes" % n, bytes(data)

    def insert_bytes(self):
        pool = [b"\x00", b"\xff", b"\xfe\xff", b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98",
                b"\xc0\x80", b"\x80", b"\r", b"\t", b"<", b">", b"{", b"}", b"(", b")",
                b"[", b"]", b"%", b"@", b"#", b":", b",", b"=", b"\"", b"\\", b"^",
                b"!", b"?", b"x", b"-", b"//", b"\n", b"\xe9"]
        chunk = b"".join(self.pick(pool) if self.rng.random() < 0.7
                         else bytes([self.rng.randrange(256)])
                         for _ in range(self.rng.randint(1, 6)))
        at = self.rng.randrange(len(self.spec) + 1)
        return "inserted %r at byte %d" % (chunk, at), self.spec[:at] + chunk + self.spec[at:]

    def delete_bytes(self):
        at = self.rng.randrange(len(self.spec))
        n = self.rng.randint(1, 16)
        return "deleted %d bytes at %d" % (n, at), self.spec[:at] + self.spec[at + n:]

    def swap_tokens(self):
        (a0, a1), (b0, b1) = sorted([self.pick(self.tokens), self.pick(self.tokens)])
        if a1 > b0:
            return "swapped a token with itself", self.spec
        s = self.spec
        return ("swapped %r and %r" % (s[a0:a1], s[b0:b1]),
                s[:a0] + s[b0:b1] + s[a1:b0] + s[a0:a1] + s[b1:])

    def replace_token(self):
        a0, a1 = self.pick(self.tokens)
        if self.rng.random() < 0.5:
            b0, b1 = self.pick(self.tokens)
            new = self.spec[b0:b1]
        else:
            new = self.pick(NUMBERS + ELEMENT_TYPES + TYPES + ATTRIBUTES).encode()
        return ("replaced %r by %r" % (self.spec[a0:a1], new),
                self.spec[:a0] + new + self.spec[a1:])

    def _replace_match(self, regex, pool, what):
        matches = list(regex.finditer(self.spec))
        if not matches:
            return self.replace_token()
        m = self.pick(matches)
        new = self.pick(pool).encode()
        return ("%s %r -> %r" % (what, m.group(0), new),
                self.spec[:m.start()] + new + self.spec[m.end():])

    def replace_number(self):
        return self._replace_match(NUMBER_RE, NUMBERS + ["?"], "number")

    def replace_type(self):
        return self._replace_match(TYPE_RE, TYPES, "type")

    def replace_element_type(self):
        return self._replace_match(ELEMENT_RE, ELEMENT_TYPES, "element type")

    def replace_attribute(self):
        return self._replace_match(ATTR_RE, ATTRIBUTES, "attribute")

    def replace_type_everywhere(self):
        old = self.pick(self.types)
        new = self.pick(TYPES).encode()
        return "every %r -> %r" % (old, new), self.spec.replace(old, new)

    def insert_snippet(self):
        fields = {
            "v": self.pick([b"%fz", b"%fz2"] + self.values).decode(),
            "a": self.pick(self.values).decode(),
            "b": self.pick(self.values).decode(),
            "g": self.pick(self.symbols + [b"@missing"]).decode(),
            "g2": self.pick([b"@fz", b"@train_step", b"@loss"] + self.symbols).decode(),
            "n": self.pick(["0", "1", "-1", "2", "-3", "9223372036854775807"]),
            "n2": self.pick(["0", "1", "-1", "5", "-9223372036854775808"]),
            "num": self.pick(NUMBERS),
            "attr": self.pick(ATTRIBUTES),
        }
        for key in ("t", "t2", "t3"):
            fields[key] = (self.pick(self.types).decode() if self.rng.random() < 0.6
                           else self.pick(TYPES))
        snippet = self.pick(SNIPPETS).format(**fields).encode()
        lines = list(self.lines)
        at = self.rng.randrange(len(lines) + 1)
        lines.insert(at, b"    " + snippet)
        return "inserted %r before line %d" % (snippet, at + 1), b"\n".join(lines)

    def variants(self, count):
        """`count` variants: a third truncations, the rest mixed mutations."""
        out = []
        n_trunc = count // 3
        size = len(self.spec)
        for i in range(n_trunc):
            out.append(self.truncate(1 + (size - 1) * i // n_trunc))
        kinds = [
            self.delete_lines, self.duplicate_line, self.swap_lines, self.splice_line,
            self.flip_bytes, self.insert_bytes, self.delete_bytes, self.swap_tokens,
            self.replace_token, self.replace_number, self.replace_type,
            self.replace_element_type, self.replace_attribute,
            self.replace_type_everywhere, self.insert_snippet, self.insert_snippet,
        ]
        while len(out) < count:
            desc, data = self.pick(kinds)()
            # Now and then stack a second mutation on the first.
            if self.rng.random() < 0.2:
                inner = Mutator(data, self.rng) if data else None
                if inner and inner.tokens:
                    desc2, data = self.pick([inner.replace_token, inner.insert_snippet,
                                             inner.flip_bytes, inner.replace_number])()
                    desc += "; " + desc2
            out.append((desc, data))
        return out


LOCATED_ERROR = re.compile(rb"^(.*?):(\d+):(\d+): error: ", re.M)


def check(tgc_opt, path, data, timeout, extra_args):
    """Runs tgc-opt on `path`; returns (None when fine, else why it failed;
    the exit code)."""
    problem, code = _check(tgc_opt, path, data, timeout, extra_args)
    return problem, code


def _check(tgc_opt, path, data, timeout, extra_args):
    try:
        proc = subprocess.run([tgc_opt, path] + extra_args, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hang (no exit within %g s)" % timeout, None
    code = proc.returncode
    err = proc.stderr
    if proc.returncode < 0:
        return "killed by signal %d" % -proc.returncode, code
    for marker in CRASH_MARKERS:
        if marker in err:
            return "crash banner %r" % marker.decode(), code
    if proc.returncode not in (0, 1):
        return "exit code %d" % proc.returncode, code
    if proc.returncode == 1:
        located = [m for m in LOCATED_ERROR.finditer(err)
                   if m.group(1).endswith(os.path.basename(path).encode())]
        if not located:
            return "exit 1 without an error located in the input: %r" % err[:300], code
        n_lines = data.count(b"\n") + 1
        for m in located:
            line, col = int(m.group(2)), int(m.group(3))
            if not (1 <= line <= n_lines and col >= 1):
                return "error located outside the input (%d:%d, %d lines)" % (
                    line, col, n_lines), code
    return None, code


def run_one(args):
    index, desc, data, tgc_opt, workdir, timeout, extra_args = args
    path = os.path.join(workdir, "variant-%04d.mlir" % index)
    with open(path, "wb") as f:
        f.write(data)
    problem, code = check(tgc_opt, path, data, timeout, extra_args)
    os.remove(path)
    return index, desc, problem, code


def kind_of(problem):
    return problem.split(" ")[0] if problem else None


def shrink(tgc_opt, data, problem, workdir, timeout, extra_args, budget_s=20):
    """Greedy delta debugging: drops lines, then tokens, while the same kind
    of failure remains, within `budget_s` seconds."""
    path = os.path.join(workdir, "shrink.mlir")
    deadline = time.time() + budget_s
    want = kind_of(problem)

    def still_fails(candidate):
        with open(path, "wb") as f:
            f.write(candidate)
        return kind_of(check(tgc_opt, path, candidate, timeout, extra_args)[0]) == want

    # Lines first, then tokens (whitespace kept, so the result stays
    # readable). Deleting a line that defines a value breaks its uses, so
    # the result is rarely minimal, but it is usually much smaller.
    for split in (lambda d: d.splitlines(keepends=True),
                  lambda d: re.split(rb"(\s+)", d)):
        parts = split(data)
        chunk = max(1, len(parts) // 2)
        while chunk >= 1 and time.time() < deadline:
            i, changed = 0, False
            while i < len(parts) and time.time() < deadline:
                if parts[i].isspace():
                    i += 1
                    continue
                candidate = parts[:i] + parts[i + chunk:]
                if candidate and still_fails(b"".join(candidate)):
                    parts, changed = candidate, True
                else:
                    i += chunk
            if not changed:
                chunk //= 2
        data = b"".join(parts)
    return data


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tgc_opt")
    parser.add_argument("spec")
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--save", help="directory for the failing inputs")
    parser.add_argument("--extra-arg", action="append", default=[],
                        help="extra tgc-opt argument, e.g. --extra-arg=--tg-pipeline")
    args = parser.parse_args()

    with open(args.spec, "rb") as f:
        spec = f.read()
    # The unmodified spec must pass, or every variant fails for that reason.
    proc = subprocess.run([args.tgc_opt, args.spec] + args.extra_arg,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=args.timeout)
    if proc.returncode != 0:
        sys.stderr.write("fuzz_spec: %s fails on the unmodified spec:\n%s" % (
            args.tgc_opt, proc.stderr.decode("utf-8", "replace")))
        return 1
    variants = Mutator(spec, random.Random(args.seed)).variants(args.count)

    workdir = tempfile.mkdtemp(prefix="tgc-fuzz-")
    started = time.time()
    try:
        jobs = [(i, desc, data, args.tgc_opt, workdir, args.timeout, args.extra_arg)
                for i, (desc, data) in enumerate(variants)]
        with multiprocessing.Pool(args.jobs) as pool:
            results = pool.map(run_one, jobs, chunksize=8)
        failures = [(i, desc, problem) for i, desc, problem, _ in results if problem]
        accepted = sum(1 for *_, problem, code in results if not problem and code == 0)
        rejected = sum(1 for *_, problem, code in results if not problem and code == 1)
        for i, desc, problem in failures:
            data = variants[i][1]
            print("FAIL variant %d (%s): %s" % (i, desc, problem))
            if args.save:
                os.makedirs(args.save, exist_ok=True)
                with open(os.path.join(args.save, "variant-%04d.mlir" % i), "wb") as f:
                    f.write(data)
        # Shrink the first few failures so they can become tests.
        for i, desc, problem in failures[:3]:
            small = shrink(args.tgc_opt, variants[i][1], problem, workdir, args.timeout,
                           args.extra_arg)
            print("--- variant %d shrunk to %d bytes (%s):" % (i, len(small), problem))
            sys.stdout.write(small.decode("utf-8", "backslashreplace") + "\n---\n")
            if args.save:
                with open(os.path.join(args.save, "variant-%04d.min.mlir" % i), "wb") as f:
                    f.write(small)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print("fuzz_spec: %d variants of %s (seed %d) in %.1f s: %d accepted, "
          "%d rejected with a located error, %d failures" % (
              len(variants), os.path.basename(args.spec), args.seed,
              time.time() - started, accepted, rejected, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
