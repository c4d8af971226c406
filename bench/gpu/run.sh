#!/usr/bin/env bash
# The GPU benchmark: tgc's CUDA step times and the peers' (PyTorch eager,
# torch.compile, JAX jit) in one run on the GPU machine, with the ratios the
# issue's goals are stated in. Its inputs are built by
# scripts/gpu-check-build.sh (bin/bench-*-cuda: bench/step_bench.c linked
# with a compiled model); it is copied there as bench.sh:
#
#   bash gpu-check/bench.sh [--peers-log FILE] [--gpt2-fp32] [DIR]
#
# With --gpt2-fp32, only what the GPT-2 fp32 goal needs (about 3 minutes,
# for a short device lease): tgc's fp32 GPT-2 lines (exact FP32, 3xTF32,
# TF32, tuned; with and without --fused-attention-f32) and their losses,
# the TF32 attention kernels and GPT-2's GEMMs alone, against PyTorch's fp32
# step (peers.py --only gpt2-fp32).
#
# With --peers-log, the peers' numbers come from FILE (peers.py's output,
# e.g. peers-h200.log, measured on the H200 on the day of the first run)
# instead of a run of peers.py, which takes minutes (torch.compile, JAX).
#
#   mlp     784-512-512-10, batch 128, Adam: a full step (forward, backward,
#           update, loss back) against JAX jit (goal: 3x faster), the batch
#           in device memory and read there; also with it in device memory
#           off alignment (copied by the step, as every device batch was
#           before), uploaded from host memory in each step, and in pinned
#           memory, prefetched one step ahead (the training main's way);
#           JAX also with exact float32 and with TF32 matmuls, against tgc's
#           exact (default) and TF32 (TGC_CUDA_MATMUL=tf32) steps; tgc also
#           on one stream (--no-gpu-branches), with TGC_CUDA_GEMM_TUNING=1
#           and with TGC_CUDA_SMALL_GEMM=0 and =1 (cuBLAS for every product,
#           and the runtime's own GEMM kernels for every product they take,
#           against the default's one-wave products; GPT-2's blocks on one
#           stream too)
#   adamw   AdamW over 100 parameters of 1M elements (the loss reads one
#           element of each, so the step is the update plus writing the
#           one-hot gradient) against the copy bandwidth (goal: 90%)
#   xent    softmax cross-entropy fwd+bwd of 8192x50257 logits (a parameter,
#           updated by SGD) against the copy bandwidth (goal: 85%)
#   gpt2    a GPT-2-small block (d 768, 12 heads, T 1024, B 8; pre-LN, causal
#           attention, exact GELU), MSE to a target, AdamW, fp32: a full
#           step against torch.compile (goal: 1.15x), also with 3xTF32
#           products (TGC_CUDA_MATMUL=3xtf32: TF32 tensor cores, FP32's
#           accuracy; with GEMM tuning, per shape where it is faster than
#           exact FP32) and TF32 alone, the losses after 23 steps beside
#           exact FP32's; gpt2bf16 the same
#           block compiled with --autocast=bf16 against torch.compile under
#           torch.autocast("cuda", dtype=torch.bfloat16)
#   mlp gemms the MLP's 8 GEMMs alone (bench-mlp-gemms, bench/gpu/mlp_gemms.cu):
#           as the runtime calls them, with the best of cuBLASLt's first 16
#           algorithms (FP32, TF32), and the backward's in a chain against
#           the weight gradients on a second stream
#   gpt2 gemms GPT-2's 12 dense GEMMs alone (bench-gpt2-gemms,
#           bench/gpu/gpt2_gemms.cu): exact FP32, 3xTF32 (split kernels and
#           the TF32 GEMM apart and together) and TF32, each checked
#           against double
#   attention the fused attention kernels alone (bench-attention-kernels,
#           bench/gpu/attention_kernels.cu: checked against double precision,
#           then GPT-2's 8 x 12 heads of T 1024, causal, bf16) against
#           PyTorch's scaled_dot_product_attention (FlashAttention-2); the
#           f32 kernels timed on the same shape (bench-attention-f32-kernels,
#           CUDA cores; bench-attention-tf32-kernels, 3xTF32 and TF32 on
#           tensor cores)
#
# step_bench prints "median p10 p90 loss" (microseconds); every step ends
# with the loss copied back, so each is timed to the device's completion.
# Its inputs are in device memory, as the peers' are.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peers_log=
everything=true
while [[ ${1:-} == --* ]]; do
  case $1 in
    --peers-log) peers_log=$(realpath "$2") && shift 2 ;;
    --gpt2-fp32) everything=false && shift ;;
    *) echo "bench.sh: unknown option $1" >&2 && exit 2 ;;
  esac
done
dir=${1:-$here}
bin=$dir/bin
log=$(mktemp)
trap 'rm -rf "$log"' EXIT

# cuBLAS for the runtime (next to this script in gpu-check/, else in scripts/).
source "$here/find-cublas.sh" 2> /dev/null || source "$here/../../scripts/find-cublas.sh"
echo "# cuBLAS: ${TGC_CUBLAS_LIBRARY:-found by the loader}"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader

tgc_step_line() { # name, steps, warmup, classes, seconds: "median p10 p90 loss"
  local name=$1 steps=$2 warmup=$3 classes=$4 seconds=$5
  local out
  if out=$(timeout --kill-after=5 "$seconds" "$bin/bench-$name-cuda" "$steps" "$warmup" "$classes" 2>&1); then
    echo "$out" | tail -n 1
  else
    echo "bench-$name-cuda failed (status $?): $(echo "$out" | tail -n 2)" >&2
    echo nan nan nan nan
  fi
}
tgc_step() { # the median alone
  tgc_step_line "$@" | awk '{print $1}'
}

# Every measurement is exported (set -a) to the ratios' script below, which
# takes one not made (--gpt2-fp32) as nan and leaves its lines out.
set -a
echo "== tgc"
if $everything; then
  mlp=$(tgc_step mlp 300 30 10 60)
  mlp_copied=$(TGC_BENCH_HOST_INPUTS=device-copied tgc_step mlp 300 30 10 60)
  mlp_host=$(TGC_BENCH_HOST_INPUTS=1 tgc_step mlp 300 30 10 60)
  mlp_prefetch=$(TGC_BENCH_HOST_INPUTS=prefetch tgc_step mlp 300 30 10 60)
  mlp_eager=$(TGC_CUDA_GRAPHS=0 tgc_step mlp 100 10 10 60)
  mlp_tf32=$(TGC_CUDA_MATMUL=tf32 tgc_step mlp 300 30 10 60)
  mlp_one_stream=$(tgc_step mlp-one-stream 300 30 10 60)
  mlp_one_stream_tf32=$(TGC_CUDA_MATMUL=tf32 tgc_step mlp-one-stream 300 30 10 60)
  mlp_tuned=$(TGC_CUDA_GEMM_TUNING=1 tgc_step mlp 300 30 10 60)
  mlp_tuned_tf32=$(TGC_CUDA_GEMM_TUNING=1 TGC_CUDA_MATMUL=tf32 tgc_step mlp 300 30 10 60)
  mlp_cublas=$(TGC_CUDA_SMALL_GEMM=0 tgc_step mlp 300 30 10 60)
  mlp_small=$(TGC_CUDA_SMALL_GEMM=1 tgc_step mlp 300 30 10 60)
  mlp_cublas_again=$(TGC_CUDA_SMALL_GEMM=0 tgc_step mlp 300 30 10 60)
  mlp_again=$(tgc_step mlp 300 30 10 60)
  adamw=$(tgc_step adamw 20 3 1 90)
  xent=$(tgc_step xent 10 2 50257 120)
fi
read -r gpt2 _ _ gpt2_loss <<< "$(tgc_step_line gpt2 20 3 1 180)"
# FP32 products on TF32 tensor cores: split operands (3xTF32, FP32's
# accuracy), and TF32 alone; the losses after the same 23 steps show the
# accuracy beside the time.
read -r gpt2_3xtf32 _ _ gpt2_3xtf32_loss <<< "$(TGC_CUDA_MATMUL=3xtf32 tgc_step_line gpt2 20 3 1 180)"
read -r gpt2_tf32 _ _ gpt2_tf32_loss <<< "$(TGC_CUDA_MATMUL=tf32 tgc_step_line gpt2 20 3 1 180)"
# With --fused-attention-f32 the attention follows TGC_CUDA_MATMUL too: on
# tensor cores under 3xtf32 and tf32 (runtime/CudaAttentionTF32.cu).
read -r gpt2_f32_attention_3xtf32 _ _ gpt2_f32_attention_3xtf32_loss <<< \
  "$(TGC_CUDA_MATMUL=3xtf32 tgc_step_line gpt2-f32attention 20 3 1 180)"
read -r gpt2_f32_attention_tf32 _ _ gpt2_f32_attention_tf32_loss <<< \
  "$(TGC_CUDA_MATMUL=tf32 tgc_step_line gpt2-f32attention 20 3 1 180)"
# With GEMM tuning: each shape the faster of 3xTF32 and exact FP32.
read -r gpt2_3xtf32_tuned _ _ gpt2_3xtf32_tuned_loss <<< \
  "$(TGC_CUDA_GEMM_TUNING=1 TGC_CUDA_MATMUL=3xtf32 tgc_step_line gpt2 20 3 1 180)"
read -r gpt2_f32_attention_3xtf32_tuned _ _ gpt2_f32_attention_3xtf32_tuned_loss <<< \
  "$(TGC_CUDA_GEMM_TUNING=1 TGC_CUDA_MATMUL=3xtf32 tgc_step_line gpt2-f32attention 20 3 1 180)"
read -r gpt2_f32_attention _ _ gpt2_f32_attention_loss <<< \
  "$(tgc_step_line gpt2-f32attention 20 3 1 180)"
gpt2_one_stream=$(tgc_step gpt2-one-stream 20 3 1 180)
attention_tf32=$(timeout --kill-after=5 60 "$bin/bench-attention-tf32-kernels" 2>&1)
if $everything; then
  gpt2_bf16=$(TGC_CUDA_MATMUL=bf16 tgc_step gpt2 20 3 1 180)
  gpt2_autocast=$(tgc_step gpt2bf16 20 3 1 180)
  gpt2_autocast_one_stream=$(tgc_step gpt2bf16-one-stream 20 3 1 180)
  attention=$(timeout --kill-after=5 60 "$bin/bench-attention-kernels" 2>&1)
  attention_f32=$(timeout --kill-after=5 60 "$bin/bench-attention-f32-kernels" 2>&1)
  attention_forward=$(echo "$attention" | awk '/^forward/ {print $2}')
  attention_backward=$(echo "$attention" | awk '/^forward/ {print $4}')
  # Binaries of an earlier commit, bin/bench-NAME-base-cuda (built by
  # scripts/gpu-check-build.sh with TGC_BASE_BUILD, or copied in by hand):
  # timed in the same run, so that a change is measured on the same machine as
  # what it changed.
  base_lines=()
  for base in "$bin"/bench-*-base-cuda; do
    [[ -e $base ]] || continue
    name=${base##*/bench-}
    name=${name%-cuda}
    case $name in mlp*) args=(300 30 10 60) ;; *) args=(20 3 1 180) ;; esac
    base_lines+=("tgc $name (an earlier commit)" "$(tgc_step "$name" "${args[@]}")")
  done
fi
set +a
cublas_dir=$(dirname "${TGC_CUBLAS_LIBRARY:-/usr/local/cuda/lib64/libcublas.so}")
if $everything; then
  # The MLP's GEMMs alone: as the runtime calls them, with cuBLASLt's best
  # algorithm, and the backward's weight gradients on a second stream.
  echo "== MLP GEMMs (bench/gpu/mlp_gemms.cu)"
  LD_LIBRARY_PATH=$cublas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} timeout --kill-after=5 120 \
    "$bin/bench-mlp-gemms" 2>&1 || echo "bench-mlp-gemms failed"
fi
echo "== GPT-2 GEMMs (bench/gpu/gpt2_gemms.cu)"
LD_LIBRARY_PATH=$cublas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} timeout --kill-after=5 120 \
  "$bin/bench-gpt2-gemms" 2>&1 || echo "bench-gpt2-gemms failed"
if $everything; then
  echo "$attention" | grep '^check'
  echo "$attention_f32"
fi
echo "$attention_tf32"
printf '%-52s %11s us\n' "tgc MLP 784-512-512-10 b128 Adam (CUDA graph)" "${mlp:-nan}" \
  "tgc MLP, the batch copied on the device (unaligned)" "${mlp_copied:-nan}" \
  "tgc MLP, the batch uploaded from host memory" "${mlp_host:-nan}" \
  "tgc MLP, the batch pinned and prefetched" "${mlp_prefetch:-nan}" \
  "tgc MLP 784-512-512-10 b128 Adam (TGC_CUDA_GRAPHS=0)" "${mlp_eager:-nan}" \
  "tgc MLP, TF32 matmuls (TGC_CUDA_MATMUL=tf32)" "${mlp_tf32:-nan}" \
  "tgc MLP --no-gpu-branches (one stream)" "${mlp_one_stream:-nan}" \
  "tgc MLP --no-gpu-branches, TF32 matmuls" "${mlp_one_stream_tf32:-nan}" \
  "tgc MLP, TGC_CUDA_GEMM_TUNING=1" "${mlp_tuned:-nan}" \
  "tgc MLP, tuned, TF32 matmuls" "${mlp_tuned_tf32:-nan}" \
  "tgc MLP, TGC_CUDA_SMALL_GEMM=0 (cuBLAS only)" "${mlp_cublas:-nan}" \
  "tgc MLP, TGC_CUDA_SMALL_GEMM=1 (small kernels for all)" "${mlp_small:-nan}" \
  "tgc MLP, TGC_CUDA_SMALL_GEMM=0 (again)" "${mlp_cublas_again:-nan}" \
  "tgc MLP (default again)" "${mlp_again:-nan}" \
  "tgc AdamW 100M fp32 in 100 tensors (full step)" "${adamw:-nan}" \
  "tgc softmax-CE fwd+bwd 8192x50257 (+ SGD update)" "${xent:-nan}" \
  "tgc GPT-2 block d768 T1024 B8 AdamW fp32" "${gpt2:-nan}" \
  "tgc GPT-2 block fp32 --no-gpu-branches" "${gpt2_one_stream:-nan}" \
  "tgc GPT-2 block fp32 --fused-attention-f32" "${gpt2_f32_attention:-nan}" \
  "tgc GPT-2 block fp32, 3xTF32 (TGC_CUDA_MATMUL=3xtf32)" "${gpt2_3xtf32:-nan}" \
  "tgc GPT-2 block fp32 --fused-attention-f32, 3xTF32" "${gpt2_f32_attention_3xtf32:-nan}" \
  "tgc GPT-2 block fp32, 3xTF32 or FP32, tuned" "${gpt2_3xtf32_tuned:-nan}" \
  "tgc GPT-2 block --fused-attention-f32, 3xTF32/FP32 tuned" "${gpt2_f32_attention_3xtf32_tuned:-nan}" \
  "tgc GPT-2 block fp32, TF32 (TGC_CUDA_MATMUL=tf32)" "${gpt2_tf32:-nan}" \
  "tgc GPT-2 block fp32 --fused-attention-f32, TF32" "${gpt2_f32_attention_tf32:-nan}" \
  "tgc GPT-2 block, bf16 matmuls (TGC_CUDA_MATMUL=bf16)" "${gpt2_bf16:-nan}" \
  "tgc GPT-2 block d768 T1024 B8 AdamW --autocast=bf16" "${gpt2_autocast:-nan}" \
  "tgc GPT-2 block --autocast=bf16 --no-gpu-branches" "${gpt2_autocast_one_stream:-nan}" \
  "tgc attention kernels B8 H12 T1024 D64 causal, forward" "${attention_forward:-nan}" \
  "tgc attention kernels, backward" "${attention_backward:-nan}" \
  "${base_lines[@]}" | grep -v " nan us$"

echo "== peers"
if [[ -n $peers_log ]]; then
  echo "(from $peers_log)"
  grep -v -i warn "$peers_log" | tee "$log"
else
  $everything && peers=mlp,adamw,xent,gpt2,attention || peers=gpt2-fp32
  timeout 600 python3 "$dir/peers.py" --only $peers 2>&1 | grep --line-buffered -v -i warn | tee "$log"
fi

echo "== ratios"
python3 - "$log" <<'EOF'
import math, os, re, sys
log = sys.argv[1]
def measured(name):  # nan where bench.sh did not measure it
    try:
        return float(os.environ.get(name, "nan"))
    except ValueError:
        return float("nan")


MEASURED = """mlp mlp_host mlp_prefetch mlp_eager mlp_tf32 adamw xent gpt2 gpt2_bf16 gpt2_autocast
attention_forward attention_backward mlp_one_stream mlp_one_stream_tf32 gpt2_autocast_one_stream
mlp_tuned mlp_tuned_tf32 gpt2_one_stream gpt2_f32_attention mlp_small mlp_cublas
mlp_cublas_again mlp_again gpt2_3xtf32 gpt2_f32_attention_3xtf32 gpt2_tf32 gpt2_loss
gpt2_3xtf32_loss gpt2_tf32_loss gpt2_3xtf32_tuned gpt2_f32_attention_3xtf32_tuned
gpt2_f32_attention_loss gpt2_f32_attention_3xtf32_loss gpt2_f32_attention_tf32
gpt2_f32_attention_tf32_loss gpt2_3xtf32_tuned_loss gpt2_f32_attention_3xtf32_tuned_loss"""
globals().update((name, measured(name)) for name in MEASURED.split())

peers = {}
for line in open(log):
    m = re.match(r"(.+?)\s{2,}([\d.]+) us", line)
    if m:
        peers[m.group(1).strip()] = float(m.group(2))
copy = peers.get("copy 1 GiB device-to-device")
bw = 2 * (1 << 30) / copy / 1e3 if copy else float("nan")  # GB/s
jax = {name: peers.get(f"MLP 784-512-512-10 b128 Adam, JAX jit{name}", float("nan"))
       for name in ("", " tf32", " float32")}
if not math.isnan(mlp):
    print(f"MLP step: tgc {mlp:.1f} us (batch from the host {mlp_host:.1f} us, prefetched "
          f"{mlp_prefetch:.1f} us, no graph {mlp_eager:.1f} us), JAX jit {jax['']:.1f} us "
          f"(its default precision): tgc is {jax[''] / mlp:.2f}x JAX (goal: >= 3x)")
    print(f"          exact float32 matmuls: tgc {mlp:.1f} us, JAX {jax[' float32']:.1f} us: "
          f"{jax[' float32'] / mlp:.2f}x; TF32: tgc {mlp_tf32:.1f} us, JAX {jax[' tf32']:.1f} us: "
          f"{jax[' tf32'] / mlp_tf32:.2f}x")
    print(f"          --no-gpu-branches (one stream): tgc {mlp_one_stream:.1f} us "
          f"({jax[''] / mlp_one_stream:.2f}x JAX); TF32 {mlp_one_stream_tf32:.1f} us "
          f"({jax[' tf32'] / mlp_one_stream_tf32:.2f}x JAX TF32)")
    print(f"          TGC_CUDA_GEMM_TUNING=1: tgc {mlp_tuned:.1f} us "
          f"({jax[''] / mlp_tuned:.2f}x JAX); TF32 {mlp_tuned_tf32:.1f} us "
          f"({jax[''] / mlp_tuned_tf32:.2f}x JAX at its default precision, "
          f"{jax[' tf32'] / mlp_tuned_tf32:.2f}x JAX TF32)")
    print(f"          default again {mlp_again:.1f} us ({jax[''] / mlp_again:.2f}x JAX); "
          f"TGC_CUDA_SMALL_GEMM=0 (cuBLAS only) {mlp_cublas:.1f} / {mlp_cublas_again:.1f} us "
          f"({jax[''] / mlp_cublas:.2f}x JAX); =1 (small kernels for all) {mlp_small:.1f} us "
          f"({jax[''] / mlp_small:.2f}x JAX)")
    for name in ("torch eager", "torch.compile"):
        t = peers.get(f"MLP 784-512-512-10 b128 Adam, {name}")
        if t:
            print(f"          {name} {t:.1f} us: tgc is {t / mlp:.2f}x")
if not math.isnan(adamw):
    moved = 7 * 4 * 100e6  # read p, g, m, v; write p, m, v
    print(f"AdamW 100M: tgc {adamw:.1f} us = {moved / adamw / 1e3:.0f} GB/s of the update's 7 "
          f"passes = {moved / adamw / 1e3 / bw:.0%} of copy ({bw:.0f} GB/s) (goal: >= 90%); "
          f"torch fused {peers.get('AdamW 100M fp32 in 100 tensors, torch fused', float('nan')):.1f} us")
if not math.isnan(xent):
    moved = 2 * 8192 * 50257 * 4  # read the logits, write their gradient
    print(f"softmax-CE: tgc {xent:.1f} us = {moved / xent / 1e3:.0f} GB/s of 2 passes = "
          f"{moved / xent / 1e3 / bw:.0%} of copy (goal: >= 85%); torch compile "
          f"{peers.get('softmax-CE fwd+bwd 8192x50257, torch compile', float('nan')):.1f} us")
compiled = peers.get("GPT-2 block d768 T1024 B8 AdamW fp32, compile", float("nan"))
print(f"GPT-2 block fp32: tgc {gpt2:.1f} us, torch.compile {compiled:.1f} us: tgc is "
      f"{compiled / gpt2:.2f}x (goal: >= 1.15x); --no-gpu-branches {gpt2_one_stream:.1f} us "
      f"({compiled / gpt2_one_stream:.2f}x); --fused-attention-f32 {gpt2_f32_attention:.1f} us "
      f"({compiled / gpt2_f32_attention:.2f}x)")
print(f"          3xTF32 (TGC_CUDA_MATMUL=3xtf32, FP32's accuracy) {gpt2_3xtf32:.1f} us "
      f"({compiled / gpt2_3xtf32:.2f}x), with --fused-attention-f32 "
      f"{gpt2_f32_attention_3xtf32:.1f} us ({compiled / gpt2_f32_attention_3xtf32:.2f}x); "
      f"TF32 alone {gpt2_tf32:.1f} us ({compiled / gpt2_tf32:.2f}x)")
compiled_tf32 = peers.get("GPT-2 block d768 T1024 B8 AdamW fp32 tf32, compile", float("nan"))
if not math.isnan(compiled_tf32):
    print(f"          TF32 on both sides: tgc {gpt2_tf32:.1f} us, torch.compile "
          f"{compiled_tf32:.1f} us: {compiled_tf32 / gpt2_tf32:.2f}x")
print(f"          3xTF32 or exact FP32 per shape, tuned: {gpt2_3xtf32_tuned:.1f} us "
      f"({compiled / gpt2_3xtf32_tuned:.2f}x), with --fused-attention-f32 "
      f"{gpt2_f32_attention_3xtf32_tuned:.1f} us ({compiled / gpt2_f32_attention_3xtf32_tuned:.2f}x)")
relative = lambda loss, reference: abs(loss - reference) / abs(reference)
print(f"          loss after 23 steps: fp32 {gpt2_loss:.9g}, 3xtf32 {gpt2_3xtf32_loss:.9g} "
      f"({relative(gpt2_3xtf32_loss, gpt2_loss):.1e} relative), tf32 {gpt2_tf32_loss:.9g} "
      f"({relative(gpt2_tf32_loss, gpt2_loss):.1e})")
against_tf32 = ("" if math.isnan(compiled_tf32) else
                f" ({compiled_tf32 / gpt2_f32_attention_tf32:.2f}x torch.compile TF32)")
print(f"          --fused-attention-f32, its attention on tensor cores too: TF32 "
      f"{gpt2_f32_attention_tf32:.1f} us{against_tf32}; loss after 23 steps: fp32 "
      f"{gpt2_f32_attention_loss:.9g}, 3xtf32 "
      f"{gpt2_f32_attention_3xtf32_loss:.9g} "
      f"({relative(gpt2_f32_attention_3xtf32_loss, gpt2_f32_attention_loss):.1e} relative), tf32 "
      f"{gpt2_f32_attention_tf32_loss:.9g} "
      f"({relative(gpt2_f32_attention_tf32_loss, gpt2_f32_attention_loss):.1e})")
# The goal's line: the fastest step at FP32's accuracy, exact FP32 or
# 3xTF32 (TF32 alone is not), with a 3xTF32 step's loss beside exact FP32's.
exact = {"exact FP32": gpt2, "exact FP32 --no-gpu-branches": gpt2_one_stream,
         "exact FP32 --fused-attention-f32": gpt2_f32_attention}
split = {"3xtf32": (gpt2_3xtf32, gpt2_3xtf32_loss, gpt2_loss),
         "3xtf32 --fused-attention-f32": (gpt2_f32_attention_3xtf32,
                                          gpt2_f32_attention_3xtf32_loss, gpt2_f32_attention_loss),
         "3xtf32/FP32 tuned": (gpt2_3xtf32_tuned, gpt2_3xtf32_tuned_loss, gpt2_loss),
         "3xtf32/FP32 tuned --fused-attention-f32": (gpt2_f32_attention_3xtf32_tuned,
                                                     gpt2_f32_attention_3xtf32_tuned_loss,
                                                     gpt2_f32_attention_loss)}
steps = exact | {name: v[0] for name, v in split.items()}
steps = {name: us for name, us in steps.items() if not math.isnan(us)}
if steps:
    name = min(steps, key=steps.get)
    if name in split:
        _, loss, reference = split[name]
        accuracy = (f"its loss after 23 steps {relative(loss, reference):.1e} (relative) from "
                    f"exact FP32's, TF32 alone's {relative(gpt2_tf32_loss, gpt2_loss):.1e}")
    else:
        accuracy = "exact FP32"
    print(f"GPT-2 fp32 goal: the fastest step at FP32's accuracy, {name}, {steps[name]:.1f} us: "
          f"{compiled / steps[name]:.2f}x torch.compile (goal: >= 1.15x); {accuracy}")
if not math.isnan(gpt2_autocast):
    compiled = peers.get("GPT-2 block d768 T1024 B8 AdamW bf16, compile", float("nan"))
    print(f"GPT-2 block bf16: tgc --autocast=bf16 {gpt2_autocast:.1f} us (bf16 matmuls on FP32 "
          f"activations: {gpt2_bf16:.1f} us), torch.compile (autocast) {compiled:.1f} us: tgc is "
          f"{compiled / gpt2_autocast:.2f}x (goal: >= 1.1x); --no-gpu-branches "
          f"{gpt2_autocast_one_stream:.1f} us ({compiled / gpt2_autocast_one_stream:.2f}x)")
if not math.isnan(attention_forward):
    sdpa = peers.get("attention B8 H12 T1024 D64 causal bf16, torch SDPA fwd+bwd", float("nan"))
    sdpa_forward = peers.get("attention B8 H12 T1024 D64 causal bf16, torch SDPA fwd", float("nan"))
    total = attention_forward + attention_backward
    print(f"attention kernels: tgc forward {attention_forward:.1f} us + backward "
          f"{attention_backward:.1f} us = {total:.1f} us, torch SDPA forward {sdpa_forward:.1f} us, "
          f"both {sdpa:.1f} us: tgc is {sdpa / total:.2f}x")
EOF
