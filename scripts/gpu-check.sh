#!/usr/bin/env bash
# The device check of tgc's CUDA backend. Runs on a machine with an NVIDIA
# GPU (sm_90), its driver and python3; needs no LLVM, MLIR or cmake: its
# inputs are built elsewhere by scripts/gpu-check-build.sh into a folder
# (default: the one this script is in, or gpu-check/ beside scripts/).
#
#   bash gpu-check/gpu-check.sh [DIR]
#
# Checks, each with a time limit (about 2 minutes in all expected on an H100):
#   runtime      the CUDA GoogleTests of the runtime (device, copies, arena,
#                globals, kernels through the mgpu* interface, errors, cuBLAS
#                matmuls, CUDA graphs)
#   parity       the MLP on the CPU and on the GPU, same seed and data, 40
#                steps: every step's loss within 1e-3 (relative)
#   resume       a GPU checkpoint resumed on the CPU and a CPU one on the
#                GPU, continuing the losses of the uninterrupted runs
#   sync         TGC_CUDA_SYNC=1 (a wait after every kernel, no CUDA graphs)
#                gives the same losses as the CUDA graphs
#   wrong-arch   sm_80 kernels on this GPU: one clear error, status 1
#   fashion      one epoch of Fashion-MNIST on the GPU with --eval: test
#                accuracy of at least 80%
#   prefetch     the same epoch with TGC_PREFETCH=0 (each batch filled and
#                uploaded in its step or evaluation): the same losses and
#                test metrics bit for bit; prints the examples/s of both
#   rows         a small transformer block and a cross-entropy over 1000
#                classes (block-per-row kernels) on the CPU and the GPU:
#                the same loss after 10 steps (1e-4 relative)
#   attention    a transformer block (4 heads of 64, 256 tokens) under
#                --autocast=bf16: the GPU's fused attention kernels, the GPU
#                without them (--no-fused-attention) and the CPU reach the
#                same loss after 10 steps (1e-2 relative: bf16), and one
#                fused step runs clean under compute-sanitizer
#   attention-f32 the same block in f32: the GPU with --fused-attention-f32
#                (the f32 kernels), without it, and the CPU reach the same
#                loss after 10 steps (1e-4 relative), and one fused step runs
#                clean under compute-sanitizer's memcheck and racecheck
#   attention-3xtf32 the f32 block with --fused-attention-f32 under
#                TGC_CUDA_MATMUL=3xtf32 (its attention on TF32 tensor cores,
#                CudaAttentionTF32.cu, and its GEMMs split) against exact
#                FP32: the same loss after 10 steps (1e-5 relative; tf32's
#                printed beside them), and one step clean under
#                compute-sanitizer's memcheck and racecheck
#   branches     the MLP and the attention block (by default device work on
#                two streams) give the losses of binaries compiled with
#                --no-gpu-branches after 10 steps (9 digits), also with
#                TGC_CUDA_BRANCHES=0 and without CUDA graphs
#   tuning       the MLP with TGC_CUDA_GEMM_TUNING=1 (cuBLASLt algorithms
#                and the small GEMM kernels timed, each GEMM's fastest):
#                the same loss after 10 steps
#                (1e-5 relative: other algorithms sum in another order)
#   small-gemm   the MLP by default (its one-wave products in the
#                runtime's own kernels, CudaSmallGemm.cu) and with
#                TGC_CUDA_SMALL_GEMM=1 (every product in them) against =0
#                (cuBLAS only): the same loss after 10 steps (1e-5
#                relative), and one step with =1 clean under
#                compute-sanitizer's memcheck and racecheck
#   3xtf32       the MLP with every product through cuBLAS
#                (TGC_CUDA_SMALL_GEMM=0) under TGC_CUDA_MATMUL=3xtf32 (split
#                operands, TF32 tensor cores; also with GEMM tuning, which
#                picks 3xTF32 or exact FP32 per shape) against exact FP32:
#                the same loss after 10 steps (1e-5 relative; TF32 alone's
#                loss printed beside them), and one step clean under
#                compute-sanitizer's memcheck
#   inputs       the MLP with its batch in device memory (read in place),
#                off alignment (copied on the device), from host memory and
#                prefetched (read in the staging copies): the same loss
#                after 10 steps bit for bit, and the in-place and prefetched
#                steps clean under compute-sanitizer's memcheck and racecheck
#   memory       tgc --memory-report's peak of a step's device buffers (the
#                MLP, the attention block under autocast and in f32 with
#                --fused-attention-f32) within 5% of the
#                runtime arena's measured peak (an eager step)
#   memcheck     init and one step under compute-sanitizer, when installed
# and prints PASS/FAIL for each and a summary; the exit status is the
# number of failures.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ $# -ge 1 ]]; then
  dir=$(cd "$1" && pwd)
elif [[ -x $here/bin/mlp-cuda ]]; then
  dir=$here
else
  dir=$(cd "$here/../gpu-check" && pwd)
fi
bin=$dir/bin
data=$dir/data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
failures=0
summary=()

# Succeeds when every loss after the first is within `tolerance` (relative)
# of the first; a loss that is not a number fails.
losses_agree() { # tolerance, losses...
  python3 -c "import sys; t = float(sys.argv[1]); l = [float(x) for x in sys.argv[2:]]; sys.exit(0 if all(abs(x - l[0]) <= t * max(1.0, abs(l[0])) for x in l) else 1)" "$@" 2> /dev/null
}

report() { # name, status (0 = pass), detail
  local name=$1 status=$2 detail=${3:-}
  if [[ $status -eq 0 ]]; then
    summary+=("PASS  $name  $detail")
    echo "PASS $name $detail"
  else
    summary+=("FAIL  $name  $detail")
    failures=$((failures + 1))
    echo "FAIL $name $detail"
  fi
}

# Runs "$@" with a time limit, its output in $work/<name>.log (the tail is
# shown on failure).
run() { # name, seconds, command...
  local name=$1 seconds=$2
  shift 2
  timeout --kill-after=5 "$seconds" "$@" > "$work/$name.log" 2>&1
  local status=$?
  if [[ $status -ne 0 ]]; then
    echo "--- $name: exit status $status$([[ $status -eq 124 ]] && echo ' (timed out)'); last lines:"
    tail -n 15 "$work/$name.log"
  fi
  return $status
}

# Compares the loss column of two --metrics CSVs over the steps both have
# (or from step $3 on): relative difference at most $4.
compare_losses() { # expected.csv, actual.csv, first step, tolerance
  python3 - "$@" <<'EOF'
import csv, sys
expected, actual, first, tolerance = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
def losses(path):
    with open(path) as f:
        return {int(r["step"]): float(r["loss"]) for r in csv.DictReader(f)}
a, b = losses(expected), losses(actual)
steps = sorted(s for s in b if s in a and s >= first)
if not steps:
    sys.exit("no common steps")
worst = max(abs(a[s] - b[s]) / max(1.0, abs(a[s])) for s in steps)
print(f"{len(steps)} steps from {steps[0]}, worst relative difference {worst:.2e} "
      f"(first losses {a[steps[0]]:.6f} / {b[steps[0]]:.6f})")
sys.exit(0 if worst <= tolerance else 1)
EOF
}

source "$here/find-cublas.sh"

echo "== device"
echo "cuBLAS: ${TGC_CUBLAS_LIBRARY:-found by the loader}"
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv,noheader
fi

echo "== runtime: CUDA GoogleTests"
if run runtime 120 "$bin/tgc-runtime-tests" --gtest_filter='Cuda*' --gtest_color=no; then
  if grep -q "SKIPPED: no CUDA device" "$work/runtime.log"; then
    grep -m1 "SKIPPED: no CUDA device" "$work/runtime.log"
    report runtime 1 "(skipped: the tests see no device)"
  else
    report runtime 0 "($(grep -c '^\[       OK \]' "$work/runtime.log") tests)"
  fi
  grep '^device:' "$work/runtime.log"
else
  report runtime 1
fi

synthetic=(--data "$data/synthetic" --seed 7 --quiet)
echo "== parity: 40 steps on the CPU and on the GPU"
if run cpu 120 "$bin/mlp-cpu" "${synthetic[@]}" --steps 40 --metrics "$work/cpu.csv" &&
  run gpu 120 "$bin/mlp-cuda" "${synthetic[@]}" --steps 40 --metrics "$work/gpu.csv"; then
  detail=$(compare_losses "$work/cpu.csv" "$work/gpu.csv" 1 1e-3)
  report parity $? "$detail"
else
  report parity 1 "(a run failed)"
fi

echo "== resume: GPU checkpoint on the CPU, CPU checkpoint on the GPU"
resume_ok=1
if run gpu-half 60 "$bin/mlp-cuda" "${synthetic[@]}" --steps 20 --save "$work/gpu20.safetensors" &&
  run cpu-resumes 60 "$bin/mlp-cpu" "${synthetic[@]}" --steps 40 \
    --resume "$work/gpu20.safetensors" --metrics "$work/cpu-resumed.csv" &&
  run cpu-half 60 "$bin/mlp-cpu" "${synthetic[@]}" --steps 20 --save "$work/cpu20.safetensors" &&
  run gpu-resumes 60 "$bin/mlp-cuda" "${synthetic[@]}" --steps 40 \
    --resume "$work/cpu20.safetensors" --metrics "$work/gpu-resumed.csv"; then
  a=$(compare_losses "$work/gpu.csv" "$work/cpu-resumed.csv" 21 1e-3) && b=$(compare_losses \
    "$work/cpu.csv" "$work/gpu-resumed.csv" 21 1e-3) && resume_ok=0
  report resume $resume_ok "(GPU->CPU: ${a:-mismatch}; CPU->GPU: ${b:-mismatch})"
else
  report resume 1 "(a run failed)"
fi

echo "== sync: TGC_CUDA_SYNC=1"
if run sync 60 env TGC_CUDA_SYNC=1 "$bin/mlp-cuda" "${synthetic[@]}" --steps 10 \
  --metrics "$work/sync.csv"; then
  detail=$(compare_losses "$work/gpu.csv" "$work/sync.csv" 1 0)
  report sync $? "$detail"
else
  report sync 1
fi

echo "== wrong-arch: sm_80 kernels on this GPU"
run wrong-arch 60 "$bin/mlp-cuda-sm80" "${synthetic[@]}" --steps 1
status=$?
if [[ $status -eq 1 ]] && [[ $(wc -l < "$work/wrong-arch.log") -eq 1 ]] &&
  grep -q "compiled for another GPU architecture" "$work/wrong-arch.log"; then
  report wrong-arch 0 "($(cat "$work/wrong-arch.log"))"
else
  cat "$work/wrong-arch.log"
  report wrong-arch 1 "(status $status; expected 1 and one line about the architecture)"
fi

echo "== fashion: one epoch of Fashion-MNIST on the GPU"
fashion_start=$SECONDS
if run fashion 150 "$bin/fashion-cuda" --data "$data/fashion-mnist" --epochs 1 --eval \
  --metrics "$work/fashion.csv"; then
  tail -n 2 "$work/fashion.log"
  accuracy=$(python3 -c "
import csv
rows = [r for r in csv.DictReader(open('$work/fashion.csv')) if r['eval_accuracy']]
print(rows[-1]['eval_accuracy'] if rows else 0)")
  python3 -c "import sys; sys.exit(0 if float('$accuracy') >= 0.80 else 1)"
  report fashion $? "(test accuracy $accuracy, $((SECONDS - fashion_start)) s)"
else
  report fashion 1
fi

echo "== prefetch: the Fashion-MNIST epoch without batch prefetch"
if run prefetch 150 env TGC_PREFETCH=0 "$bin/fashion-cuda" --data "$data/fashion-mnist" --epochs 1 \
  --eval --metrics "$work/fashion-sequential.csv" && [[ -f $work/fashion.csv ]]; then
  python3 - "$work/fashion.csv" "$work/fashion-sequential.csv" <<'EOF'
import csv, statistics, sys
runs = [list(csv.DictReader(open(path))) for path in sys.argv[1:]]
rate = [statistics.median(float(r["examples_per_s"]) for r in rows[len(rows) // 2:]) for rows in runs]
print(f"examples/s (median of the second half): prefetch {rate[0]:.0f}, TGC_PREFETCH=0 {rate[1]:.0f}")
columns = ("loss", "eval_loss", "eval_accuracy")
sys.exit(0 if [[r[c] for c in columns] for r in runs[0]] == [[r[c] for c in columns] for r in runs[1]] else 1)
EOF
  report prefetch $? "(the same losses and test metrics with and without prefetch)"
else
  report prefetch 1
fi

echo "== rows: models with long rows (block-per-row kernels) on the CPU and on the GPU"
rows_ok=0
rows_detail=()
for model in block xent; do
  # step_bench: the same inputs and initial state, 10 steps, the last loss.
  if run rows-$model-cpu 60 "$bin/bench-rows-$model-cpu" 10 0 1000 &&
    run rows-$model-cuda 60 "$bin/bench-rows-$model-cuda" 10 0 1000; then
    cpu=$(tail -n 1 "$work/rows-$model-cpu.log" | awk '{print $4}')
    gpu=$(tail -n 1 "$work/rows-$model-cuda.log" | awk '{print $4}')
    losses_agree 1e-4 "$cpu" "$gpu" ||
      rows_ok=1
    rows_detail+=("$model: CPU $cpu, GPU $gpu")
  else
    rows_ok=1
    rows_detail+=("$model: a run failed")
  fi
done
report rows $rows_ok "(loss after 10 steps: ${rows_detail[*]})"

sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2> /dev/null)
# The attention block fused (bench-NAME-cuda), unfused (bench-NAME-unfused-cuda)
# and on the CPU (bench-NAME-cpu): the same loss after 10 steps within
# `tolerance` (relative), then one fused step under each compute-sanitizer
# tool named.
attention_check() { # name, tolerance, sanitizer tools...
  local name=$1 tolerance=$2 ok=0 losses=() variant tool
  shift 2
  for variant in $name-cuda $name-unfused-cuda $name-cpu; do
    if run "$variant" 60 "$bin/bench-$variant" 10 0 1000; then
      losses+=("$(tail -n 1 "$work/$variant.log" | awk '{print $4}')")
    else
      ok=1
      losses+=(failed)
    fi
  done
  if [[ $ok -eq 0 ]]; then
    losses_agree "$tolerance" "${losses[@]}" || ok=1
  fi
  if [[ $ok -eq 0 && -n $sanitizer ]]; then
    for tool in "$@"; do
      run "$name-$tool" 180 "$sanitizer" --tool "$tool" --error-exitcode=3 "$bin/bench-$name-cuda" 1 0 1000 ||
        ok=1
    done
  fi
  report "$name" $ok "(loss after 10 steps: fused ${losses[0]}, unfused ${losses[1]}, CPU ${losses[2]})"
}

echo "== attention: fused attention under bf16 autocast, against the unfused GPU and the CPU"
attention_check attention 1e-2 memcheck

echo "== attention-f32: the f32 attention kernels, against the unfused GPU and the CPU"
attention_check attention-f32 1e-4 memcheck racecheck

echo "== attention-3xtf32: the f32 attention kernels on TF32 tensor cores, against exact FP32"
tensor_ok=0
tensor_losses=()
for precision in fp32 3xtf32 tf32; do
  if run "attention-$precision" 60 env TGC_CUDA_MATMUL=$precision "$bin/bench-attention-f32-cuda" 10 0 1000; then
    tensor_losses+=("$(tail -n 1 "$work/attention-$precision.log" | awk '{print $4}')")
  else
    tensor_losses+=(nan)
    tensor_ok=1
  fi
done
losses_agree 1e-5 "${tensor_losses[0]}" "${tensor_losses[1]}" || tensor_ok=1
if [[ $tensor_ok -eq 0 && -n $sanitizer ]]; then
  for tool in memcheck racecheck; do
    run "attention-3xtf32-$tool" 180 env TGC_CUDA_MATMUL=3xtf32 "$sanitizer" --tool "$tool" \
      --error-exitcode=3 "$bin/bench-attention-f32-cuda" 1 0 1000 || tensor_ok=1
  done
fi
report attention-3xtf32 $tensor_ok "(loss after 10 steps: fp32 ${tensor_losses[0]}, 3xtf32 ${tensor_losses[1]}, tf32 ${tensor_losses[2]})"

echo "== branches: device work on two streams, against one stream"
branches_ok=0
branches_detail=()
for model in mlp attention; do
  classes=$([[ $model == mlp ]] && echo 10 || echo 1000)
  variants=()
  for variant in "one:$model-one-stream" "two:$model" "off:$model:TGC_CUDA_BRANCHES=0" \
    "eager:$model:TGC_CUDA_GRAPHS=0"; do
    IFS=: read -r label binary setting <<< "$variant"
    if run branches-$model-$label 60 env ${setting:-TGC_CUDA_BRANCHES=1} "$bin/bench-$binary-cuda" 10 0 \
      "$classes"; then
      variants+=("$(tail -n 1 "$work/branches-$model-$label.log" | awk '{print $4}')")
    else
      variants+=(failed)
    fi
  done
  [[ ${variants[0]} != failed && ${variants[1]} == "${variants[0]}" && ${variants[2]} == "${variants[0]}" &&
    ${variants[3]} == "${variants[0]}" ]] || branches_ok=1
  branches_detail+=("$model: one stream ${variants[0]}, two ${variants[1]}, TGC_CUDA_BRANCHES=0 ${variants[2]}, no graphs ${variants[3]};")
done
report branches $branches_ok "(loss after 10 steps: ${branches_detail[*]})"

echo "== tuning: the MLP with tuned cuBLASLt algorithms"
if run tuning-off 60 "$bin/bench-mlp-cuda" 10 0 10 &&
  run tuning-on 60 env TGC_CUDA_GEMM_TUNING=1 "$bin/bench-mlp-cuda" 10 0 10; then
  off=$(tail -n 1 "$work/tuning-off.log" | awk '{print $4}')
  on=$(tail -n 1 "$work/tuning-on.log" | awk '{print $4}')
  losses_agree 1e-5 "$off" "$on"
  report tuning $? "(loss after 10 steps: heuristic $off, tuned $on)"
else
  report tuning 1
fi

echo "== small-gemm: the MLP with the runtime's small GEMM kernels"
if run small-gemm-off 60 env TGC_CUDA_SMALL_GEMM=0 "$bin/bench-mlp-cuda" 10 0 10 &&
  run small-gemm-default 60 "$bin/bench-mlp-cuda" 10 0 10 &&
  run small-gemm-on 60 env TGC_CUDA_SMALL_GEMM=1 "$bin/bench-mlp-cuda" 10 0 10; then
  off=$(tail -n 1 "$work/small-gemm-off.log" | awk '{print $4}')
  default=$(tail -n 1 "$work/small-gemm-default.log" | awk '{print $4}')
  on=$(tail -n 1 "$work/small-gemm-on.log" | awk '{print $4}')
  losses_agree 1e-5 "$off" "$default" "$on"
  ok=$?
  if [[ $ok -eq 0 && -n $sanitizer ]]; then
    for tool in memcheck racecheck; do
      run "small-gemm-$tool" 180 env TGC_CUDA_SMALL_GEMM=1 "$sanitizer" --tool "$tool" \
        --error-exitcode=3 "$bin/bench-mlp-cuda" 1 0 10 || ok=1
    done
  fi
  report small-gemm $ok "(loss after 10 steps: cuBLAS $off, default $default, small GEMM kernels for all $on)"
else
  report small-gemm 1
fi

echo "== 3xtf32: the MLP's products on TF32 tensor cores at FP32's accuracy"
split_ok=0
split_losses=()
for variant in fp32 3xtf32 3xtf32:1 tf32; do
  IFS=: read -r precision tuning <<< "$variant"
  if run "split-$precision-${tuning:-0}" 60 env TGC_CUDA_SMALL_GEMM=0 TGC_CUDA_MATMUL=$precision \
    TGC_CUDA_GEMM_TUNING=${tuning:-0} "$bin/bench-mlp-cuda" 10 0 10; then
    split_losses+=("$(tail -n 1 "$work/split-$precision-${tuning:-0}.log" | awk '{print $4}')")
  else
    split_losses+=(nan)
    split_ok=1
  fi
done
losses_agree 1e-5 "${split_losses[@]:0:3}" || split_ok=1
if [[ $split_ok -eq 0 && -n $sanitizer ]]; then
  run split-memcheck 180 env TGC_CUDA_SMALL_GEMM=0 TGC_CUDA_MATMUL=3xtf32 "$sanitizer" \
    --error-exitcode=3 "$bin/bench-mlp-cuda" 1 0 10 || split_ok=1
fi
report 3xtf32 $split_ok "(loss after 10 steps: fp32 ${split_losses[0]}, 3xtf32 ${split_losses[1]}, tuned ${split_losses[2]}, tf32 ${split_losses[3]})"

echo "== inputs: the MLP's batch read in place, copied on the device, uploaded, prefetched"
# The same bits whichever way the step gets its batch: in device memory
# (read there), off alignment (copied into the model's buffers), from host
# memory, and prefetched into the runtime's staging copies (read there, a
# graph for each). Then memcheck and racecheck of the two ways read in place.
inputs_ok=0
losses=()
for mode in "" device-copied 1 prefetch; do
  if run "inputs-${mode:-device}" 60 env TGC_BENCH_HOST_INPUTS=$mode "$bin/bench-mlp-cuda" 10 0 10; then
    losses+=("$(tail -n 1 "$work/inputs-${mode:-device}.log" | awk '{print $4}')")
  else
    inputs_ok=1
  fi
done
if [[ $inputs_ok -eq 0 ]]; then
  python3 -c "import sys; l = sys.argv[1:]; sys.exit(0 if len(set(l)) == 1 else 1)" "${losses[@]}" ||
    inputs_ok=1
fi
if [[ $inputs_ok -eq 0 && -n $sanitizer ]]; then
  for mode in "" prefetch; do
    for tool in memcheck racecheck; do
      run "inputs-${mode:-device}-$tool" 180 env TGC_BENCH_HOST_INPUTS=$mode "$sanitizer" \
        --tool "$tool" --error-exitcode=3 "$bin/bench-mlp-cuda" 3 0 10 || inputs_ok=1
    done
  done
fi
report inputs $inputs_ok "(loss after 10 steps: in place, copied, uploaded, prefetched: ${losses[*]})"

echo "== memory: tgc --memory-report against the arena's measured peak"
memory_ok=0
memory_detail=()
for model in mlp attention attention-f32; do
  # Eager (no CUDA graph): every buffer taken and freed in program order.
  if run "memory-$model" 60 env TGC_CUDA_GRAPHS=0 "$bin/measure-$model-cuda" 10 &&
    python3 "$here/compare_memory.py" "$dir/reports/$model.txt" "$work/memory-$model.log" 0.05 \
      > "$work/memory-$model-compare.log" 2>&1; then
    memory_detail+=("$model: $(head -n 1 "$work/memory-$model-compare.log");")
  else
    memory_ok=1
    memory_detail+=("$model: $(tail -n 1 "$work/memory-$model-compare.log" 2> /dev/null);")
  fi
done
report memory $memory_ok "(${memory_detail[*]})"

echo "== memcheck: init and one step under compute-sanitizer"
if [[ -n $sanitizer ]]; then
  run memcheck 120 "$sanitizer" --error-exitcode=3 "$bin/mlp-cuda" "${synthetic[@]}" --steps 1
  report memcheck $? "($(grep -m1 'ERROR SUMMARY' "$work/memcheck.log"))"
else
  echo "compute-sanitizer not found: skipped"
fi

echo
echo "== summary ($((SECONDS - start)) s)"
printf '%s\n' "${summary[@]}"
if [[ $failures -eq 0 ]]; then
  echo "ALL PASS"
else
  echo "$failures FAILED"
fi
exit $failures
