#!/usr/bin/env python3
"""The machine code (SASS) of CUDA kernels, without a GPU: what each kernel
costs in instructions, and how wide its memory accesses are.

    python3 scripts/sass.py runtime/CudaAttentionTF32.cu
    build/bin/tgc model.mlir --target=cuda --emit=ptx -o model.ptx
    python3 scripts/sass.py model.ptx --arch sm_80 --out /tmp/sass

A .cu file is compiled as the runtime embeds it (nvcc --ptx for compute_80),
a .ptx file is taken as it is; ptxas assembles it for --arch (sm_90 by
default). Each kernel prints its registers, its instructions (tensor-core
mma, FMAs), its global and shared-memory accesses by width, and a warning
where 4-byte accesses off one address cover a 16-byte chunk (a float4
access the compiler split into scalars). --out keeps each kernel's SASS.

CUDA 13's toolkit here has ptxas but no disassembler, so the script
disassembles with CUDA 11.8's nvdisasm, from Debian's non-free archive
(nvidia-cuda-toolkit), fetched once into ~/.cache/tgc (only the package's
nvdisasm is kept; nothing is installed). That nvdisasm cannot read CUDA 13's
ELF headers, so each kernel's code section is cut out and disassembled raw.
A developer's tool: tgc and its tests do not need it.
"""

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

CUDA = os.environ.get("CUDA_HOME", "/usr/local/cuda")
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "tgc")
NVDISASM = os.path.join(CACHE, "cuda-11.8", "nvdisasm")
PACKAGE = "nvidia-cuda-toolkit"


def fail(message):
    sys.exit(f"sass.py: {message}")


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        fail(f"{' '.join(command)} failed:\n{result.stderr.strip()}")
    return result


def fetch_nvdisasm():
    """NVDISASM, downloaded from bookworm's non-free archive if missing."""
    if os.access(NVDISASM, os.X_OK):
        return NVDISASM
    print(f"sass.py: fetching nvdisasm ({PACKAGE} 11.8, about 84 MB) into {CACHE}",
          file=sys.stderr)
    with tempfile.TemporaryDirectory() as scratch:
        lists = os.path.join(scratch, "lists")
        os.makedirs(os.path.join(lists, "partial"))
        sources = os.path.join(scratch, "sources.list")
        with open(sources, "w") as f:
            f.write("deb http://deb.debian.org/debian bookworm non-free\n")
        apt = ["-o", f"Dir::Etc::SourceList={sources}", "-o", "Dir::Etc::SourceParts=/dev/null",
               "-o", f"Dir::State::Lists={lists}", "-o", "Debug::NoLocking=1"]
        run(["apt-get", *apt, "update"])
        run(["apt-get", *apt, "download", PACKAGE], cwd=scratch)
        package = next(f for f in os.listdir(scratch) if f.endswith(".deb"))
        run(["dpkg-deb", "-x", os.path.join(scratch, package), os.path.join(scratch, "x")])
        os.makedirs(os.path.dirname(NVDISASM), exist_ok=True)
        shutil.copy(os.path.join(scratch, "x", "usr", "bin", "nvdisasm"), NVDISASM)
    return NVDISASM


def to_ptx(source, scratch):
    if source.endswith(".ptx"):
        return source
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ptx = os.path.join(scratch, "kernels.ptx")
    run([os.path.join(CUDA, "bin", "nvcc"), "--ptx", "-arch=compute_80", "-O3", "-std=c++17",
         "-I" + os.path.join(root, "include"), "-I" + os.path.join(root, "runtime"), source,
         "-o", ptx])
    return ptx


def assemble(ptx, arch, scratch):
    """The cubin and each entry's registers, from ptxas -v."""
    cubin = os.path.join(scratch, "kernels.cubin")
    log = run([os.path.join(CUDA, "bin", "ptxas"), "-v", f"-arch={arch}", ptx, "-o", cubin]).stderr
    registers, entry = {}, None
    for line in log.splitlines():
        if m := re.search(r"Compiling entry function '(\S+)'", line):
            entry = m.group(1)
        elif (m := re.search(r"Used (\d+) registers", line)) and entry:
            registers[entry] = int(m.group(1))
    return cubin, registers


def code_sections(cubin):
    """(kernel, code bytes) for each .text.<kernel> section of the cubin."""
    header = run(["readelf", "-W", "-S", cubin]).stdout
    data = open(cubin, "rb").read()
    for line in header.splitlines():
        if m := re.search(r"\]\s+\.text\.(\S+)\s+PROGBITS\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)", line):
            offset, size = int(m.group(2), 16), int(m.group(3), 16)
            yield m.group(1), data[offset:offset + size]


INSTRUCTION = re.compile(r"^\s*/\*[0-9a-f]+\*/\s+(.*?)\s*;")
ACCESS = re.compile(r"^(LDG|STG|LDS|STS|LDSM|LDGSTS|RED|ATOM)(\.[A-Z0-9.]+)?$")
SCALAR_GLOBAL = re.compile(r"\b(LDG|STG)\.E(?:\.CONSTANT)?\s+(?:R\d+,\s*)?\[(R\d+)\.64(?:\+0x([0-9a-f]+))?\]")


def summarize(kernel, sass, registers):
    instructions = [m.group(1) for line in sass.splitlines() if (m := INSTRUCTION.match(line))]
    opcodes = collections.Counter()
    accesses = collections.Counter()
    for instruction in instructions:
        opcode = re.sub(r"^@!?U?P\w+\s+", "", instruction).split()[0]
        opcodes[opcode.split(".")[0]] += 1
        if ACCESS.match(opcode):
            accesses[opcode] += 1
    # 4-byte global accesses off one base register at +0, +4, +8 and +12.
    offsets = collections.defaultdict(set)
    for m in SCALAR_GLOBAL.finditer(sass):
        offsets[(m.group(1), m.group(2))].add(int(m.group(3) or "0", 16))
    split = sorted({kind for (kind, _), found in offsets.items()
                    if any(all(o + d in found for d in (4, 8, 12)) for o in found if o % 16 == 0)})
    print(f"{kernel}: {registers.get(kernel, '?')} registers, {len(instructions)} instructions"
          f" ({opcodes['HMMA']} HMMA, {opcodes['FFMA']} FFMA)")
    print("  memory: " + (", ".join(f"{k} {n}" for k, n in sorted(accesses.items())) or "none"))
    for kind in split:
        print(f"  warning: 4-byte {kind} at +0, +4, +8, +12 of one address: a split 16-byte access?")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a .cu file (compiled as the runtime does) or a .ptx file")
    parser.add_argument("--arch", default="sm_90", help="the chip ptxas assembles for (sm_90)")
    parser.add_argument("--kernel", help="only kernels whose name contains this")
    parser.add_argument("--out", help="a folder to write each kernel's SASS to")
    parser.add_argument("--nvdisasm", help=f"the disassembler (default: {NVDISASM}, fetched if missing)")
    args = parser.parse_args()
    if not re.fullmatch(r"sm_\d+a?", args.arch):
        fail(f"--arch takes a chip such as sm_90, got '{args.arch}'")
    if not os.path.exists(args.source):
        fail(f"no such file: {args.source}")
    nvdisasm = args.nvdisasm or fetch_nvdisasm()
    with tempfile.TemporaryDirectory() as scratch:
        cubin, registers = assemble(to_ptx(args.source, scratch), args.arch, scratch)
        raw = os.path.join(scratch, "code.bin")
        for kernel, code in code_sections(cubin):
            if args.kernel and args.kernel not in kernel:
                continue
            with open(raw, "wb") as f:
                f.write(code)
            chip = args.arch.upper().replace("_", "").rstrip("A")
            sass = run([nvdisasm, "-b", chip, raw]).stdout
            if args.out:
                os.makedirs(args.out, exist_ok=True)
                with open(os.path.join(args.out, kernel + ".sass"), "w") as f:
                    f.write(sass)
            summarize(kernel, sass, registers)


if __name__ == "__main__":
    main()
