# -*- Python -*-
import os
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "tgc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tgc_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "Unit", "Runtime"]

config.substitutions.append(("%tgc_src_root", config.tgc_src_root))
# The runtime archive, for tests that link a model built with --emit=lib.
config.substitutions.append(
    ("%tgc_runtime_lib", os.path.join(config.tgc_obj_root, "runtime", "libTGCRuntime.a")))

# A CUDA driver and cuBLAS on the host (test/Runtime/FakeCuda.cpp).
config.substitutions.append(
    ("%fake_cuda", os.path.join(config.tgc_obj_root, "test", "Runtime", "libtgc-fake-cuda.so")))

# The PyTorch parity tests (Parity/) need PyTorch, which is installed for the
# system Python (/usr/bin/python3), not necessarily for the one lit runs on.
config.substitutions.append(("%torch_python", "/usr/bin/python3"))
try:
    if subprocess.run(["/usr/bin/python3", "-c", "import torch"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL, timeout=120).returncode == 0:
        config.available_features.add("torch")
except (OSError, subprocess.SubprocessError):
    pass

# The autocast parity tests take PyTorch's CPU bf16 matmuls as the reference:
# FP32 accumulation of bf16 products, rounded once, as tgc computes them.
# Where the CPU lacks AVX-512 (an AMD EPYC with AVX2 only), PyTorch 1.13
# accumulates in bf16 instead (8% error on a 784-long product against 0.2%):
# no reference there, and those tests say UNSUPPORTED.
bf16_probe = """
import torch
torch.manual_seed(0)
a, b = torch.randn(128, 784).bfloat16(), torch.randn(784, 512).bfloat16()
exact = a.double() @ b.double()
error = ((a @ b).double() - exact).abs().max() / exact.abs().max()
raise SystemExit(0 if error < 1e-2 else 1)
"""
if "torch" in config.available_features:
    try:
        if subprocess.run(["/usr/bin/python3", "-c", bf16_probe], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=120).returncode == 0:
            config.available_features.add("torch-bf16-fp32-accumulation")
    except (OSError, subprocess.SubprocessError):
        pass

# GPU lowering tests assemble the PTX they emit with the CUDA toolkit's
# ptxas (the toolkit's libdevice also serves the kernels' math functions).
ptxas = "/usr/local/cuda/bin/ptxas"
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
# nvcc, for the GPU benchmarks' CUDA programs (bench/gpu/*.cu).
nvcc = "/usr/local/cuda/bin/nvcc"
if os.access(nvcc, os.X_OK):
    config.available_features.add("nvcc")
    config.substitutions.append(("%nvcc", nvcc))
# The runtime's CUDA C++ kernels, as nvcc compiled them (runtime/CMakeLists.txt).
attention_ptx = os.path.join(config.tgc_obj_root, "runtime", "CudaAttention.ptx")
attention_f32_ptx = os.path.join(config.tgc_obj_root, "runtime", "CudaAttentionF32.ptx")
attention_tf32_ptx = os.path.join(config.tgc_obj_root, "runtime", "CudaAttentionTF32.ptx")
small_gemm_ptx = os.path.join(config.tgc_obj_root, "runtime", "CudaSmallGemm.ptx")
split_tf32_ptx = os.path.join(config.tgc_obj_root, "runtime", "CudaSplitTF32.ptx")
if all(
    os.path.exists(p)
    for p in (attention_ptx, attention_f32_ptx, attention_tf32_ptx, small_gemm_ptx, split_tf32_ptx)
):
    config.available_features.add("runtime-kernels")
    config.substitutions.append(("%attention_ptx", attention_ptx))
    config.substitutions.append(("%attention_f32_ptx", attention_f32_ptx))
    config.substitutions.append(("%attention_tf32_ptx", attention_tf32_ptx))
    config.substitutions.append(("%small_gemm_ptx", small_gemm_ptx))
    config.substitutions.append(("%split_tf32_ptx", split_tf32_ptx))

# scripts/sass.py, a developer's tool, where its disassembler has been
# fetched (the tests never download it).
nvdisasm = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                        "tgc", "cuda-11.8", "nvdisasm")
if os.access(nvdisasm, os.X_OK):
    config.available_features.add("nvdisasm")
    config.substitutions.append(("%nvdisasm", nvdisasm))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["tgc-opt", "tgc-run", "tgc"], [config.tgc_tools_dir])
