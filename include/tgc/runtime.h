/*===- runtime.h - the tgc runtime's C API ---------------------------------===*
 *
 * What a compiled model (include/tgc/model.h) links against to become a
 * training program: a caching allocator and a batched matmul for the
 * generated code, a thread pool, data loaders (IDX, .npy) and a shuffling
 * dataset, safetensors checkpoints, and the training main. Plain C, no
 * MLIR; docs/runtime.md describes the formats and flags.
 *
 * Errors: functions that can fail return a tgc_status; on failure
 * tgc_last_error() holds a one-line message that names the file and what is
 * wrong. Library code never prints errors or exits the process.
 *
 *===----------------------------------------------------------------------===*/

#ifndef TGC_RUNTIME_H
#define TGC_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tgc/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/*===--- Errors ------------------------------------------------------------===*/

typedef enum tgc_status {
  TGC_OK = 0,
  TGC_ERROR_IO = 1,       /* a file is missing, unreadable or unwritable */
  TGC_ERROR_FORMAT = 2,   /* a file is truncated, corrupt or of another format */
  TGC_ERROR_MISMATCH = 3, /* data or a checkpoint does not fit the model */
  TGC_ERROR_ARGUMENT = 4, /* an invalid argument */
  TGC_ERROR_OUT_OF_MEMORY = 5,
  TGC_ERROR_DEVICE = 6, /* no CUDA driver or device, or a failed device operation */
} tgc_status;

/* The message of the last failure on this thread ("" if none): one line,
 * valid until the next failing call on the same thread. */
const char *tgc_last_error(void);

/*===--- Memory ------------------------------------------------------------===*/

/* A caching allocator: freed blocks go to size-class free lists and serve
 * later requests; memory is never returned to the operating system, so a
 * training loop that allocates the same buffers every step stops paying for
 * page faults after its first step. Blocks are at least 64-byte aligned; big
 * ones are backed by transparent huge pages. Thread-safe. */

/* `alignment` is 0 (meaning 64) or a power of two. NULL when out of memory. */
void *tgc_alloc(size_t size, size_t alignment);
/* Accepts NULL. Aborts on a pointer tgc_alloc did not return (heap
 * corruption, like free()). */
void tgc_free(void *ptr);

typedef struct tgc_memory_stats {
  uint64_t bytes_in_use;      /* requested bytes of live allocations */
  uint64_t peak_bytes_in_use; /* the most bytes_in_use has been */
  uint64_t bytes_reserved;    /* mapped from the operating system */
  uint64_t num_allocations;   /* allocations served */
  uint64_t num_cache_hits;    /* of those, served from a free list */
} tgc_memory_stats;

void tgc_memory_get_stats(tgc_memory_stats *stats);
/* Sets peak_bytes_in_use to bytes_in_use, to measure one phase. */
void tgc_memory_reset_peak(void);

/* The allocation functions MLIR's memref-to-llvm lowering calls with
 * `use-generic-functions`; they are tgc_alloc and tgc_free. */
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *ptr);

/* Advises the kernel to back [ptr, ptr + bytes) with transparent huge pages
 * (page-rounded; failures ignored). Compiled models call it from a
 * constructor on their parameter and state buffers of 64 KiB or more. */
void tgc_advise_huge_pages(void *ptr, size_t bytes);

/*===--- Threads -----------------------------------------------------------===*/

typedef void (*tgc_parallel_body)(void *ctx, int64_t begin, int64_t end);

/* Calls body(ctx, begin, end) on disjoint ranges covering [0, n), in
 * parallel on a persistent pool, and returns when all are done. The ranges
 * depend only on n and tgc_num_threads(), so per-range partial results are
 * reproducible. Nested calls run their ranges on the calling thread. */
void tgc_parallel_for(int64_t n, tgc_parallel_body body, void *ctx);

/* The pool's size, the calling thread included: the CPUs this process may
 * run on, or the environment variable TGC_NUM_THREADS when it is set. */
int32_t tgc_num_threads(void);

/* The floating-point mode of the calling thread. tgc_fp_flush_denormals
 * makes it flush denormal inputs and results to zero (x86 DAZ and FTZ; no
 * change elsewhere) and returns the previous mode for tgc_fp_restore. A
 * compiled model's entry points do this around their work unless compiled
 * with --keep-denormals; parallel loops run in their caller's mode. */
uint32_t tgc_fp_flush_denormals(void);
void tgc_fp_restore(uint32_t saved);

/* The subset of libomp's entry points that LLVM's OpenMPIRBuilder emits for
 * the parallel loops of generated code (static schedule, nowait loops),
 * renamed from __kmpc_* to tgc_omp_* by the compiler and run on the pool
 * above. Not meant to be called by hand. */
int32_t tgc_omp_global_thread_num(void *ident);
void tgc_omp_fork_call(void *ident, int32_t num_args,
                       void (*microtask)(int32_t *, int32_t *, ...), ...);
void tgc_omp_for_static_init_4u(void *ident, int32_t thread, int32_t schedule, int32_t *is_last,
                                uint32_t *lower, uint32_t *upper, int32_t *stride,
                                int32_t increment, int32_t chunk);
void tgc_omp_for_static_init_8u(void *ident, int32_t thread, int32_t schedule, int32_t *is_last,
                                uint64_t *lower, uint64_t *upper, int64_t *stride,
                                int64_t increment, int64_t chunk);
void tgc_omp_for_static_fini(void *ident, int32_t thread);
void tgc_omp_barrier(void *ident, int32_t thread);

/*===--- Matmul ------------------------------------------------------------===*/

/* A rank-3 strided view, laid out exactly like MLIR's memref descriptor
 * (memref<?x?x?xT, strided<[?,?,?], offset: ?>>). */
typedef struct tgc_memref3_f32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[3];
  int64_t strides[3];
} tgc_memref3_f32;

typedef struct tgc_memref3_f64 {
  double *allocated;
  double *aligned;
  int64_t offset;
  int64_t sizes[3];
  int64_t strides[3];
} tgc_memref3_f64;

/* Batched matmul: for every b < batch, C[b] = A[b] x B[b], plus the old C[b]
 * when accumulate != 0. A is [batch, m, k], B [batch, k, n], C [batch, m, n].
 * Element (i,j,l) of a view is aligned[offset + i*strides[0] + j*strides[1] +
 * l*strides[2]]. Any strides: a transposed operand is a view with swapped
 * strides; a broadcast batch has batch stride 0 (sizes still equal batch).
 * C does not alias A or B. Sizes may be 0 or 1. Runs on the runtime's thread
 * pool (tgc_parallel_for); the result does not depend on the thread count. */
void _mlir_ciface_tgc_matmul_f32(tgc_memref3_f32 *a, tgc_memref3_f32 *b, tgc_memref3_f32 *c,
                                 int64_t accumulate);
void _mlir_ciface_tgc_matmul_f64(tgc_memref3_f64 *a, tgc_memref3_f64 *b, tgc_memref3_f64 *c,
                                 int64_t accumulate);

/*===--- Arrays and data files ---------------------------------------------===*/

/* Element types of data files: wider than tgc_dtype, which lists what
 * models compute with. */
typedef enum tgc_array_dtype {
  TGC_ARRAY_U8 = 0,
  TGC_ARRAY_I8 = 1,
  TGC_ARRAY_I16 = 2,
  TGC_ARRAY_I32 = 3,
  TGC_ARRAY_I64 = 4,
  TGC_ARRAY_F32 = 5,
  TGC_ARRAY_F64 = 6,
} tgc_array_dtype;

#define TGC_ARRAY_MAX_RANK 8

/* A dense array in C order and native byte order. */
typedef struct tgc_array {
  tgc_array_dtype dtype;
  int32_t rank;
  int64_t shape[TGC_ARRAY_MAX_RANK];
  void *data; /* owned: release with tgc_array_free */
} tgc_array;

/* An IDX file (the MNIST format), gzip-compressed or not. */
tgc_status tgc_load_idx(const char *path, tgc_array *out);
/* A .npy file: format versions 1-3, little-endian u8/i32/i64/f32/f64, C order. */
tgc_status tgc_load_npy(const char *path, tgc_array *out);
/* tgc_load_npy for names ending in .npy, tgc_load_idx otherwise. */
tgc_status tgc_load_array(const char *path, tgc_array *out);
void tgc_array_free(tgc_array *array);

/*===--- Datasets ----------------------------------------------------------===*/

/* Examples (images) and integer labels that feed a model whose two inputs
 * are features [batch, ...] (f32 or f64) and labels [batch] (i32 or i64).
 * u8 images become floats in [0, 1] (x / 255); each example is flattened to
 * the model's per-example shape, which must hold as many values. Batches are
 * full: the last partial batch of an epoch is dropped. */
typedef struct tgc_dataset tgc_dataset;

/* Loads both files (tgc_load_array) and checks them against each other
 * (counts) and the model (input count, dtypes, per-example size, label
 * range when model->num_classes > 0, at least one batch). */
tgc_status tgc_dataset_open(const char *images_path, const char *labels_path,
                            const tgc_model *model, tgc_dataset **out);
void tgc_dataset_free(tgc_dataset *dataset);

int64_t tgc_dataset_num_examples(const tgc_dataset *dataset);
int64_t tgc_dataset_batch_size(const tgc_dataset *dataset);
/* Full batches per epoch: num_examples / batch_size. */
int64_t tgc_dataset_num_batches(const tgc_dataset *dataset);

/* Orders the examples for `epoch` by a permutation that depends only on
 * (seed, epoch); until the first call, batches follow the file order. */
void tgc_dataset_shuffle(tgc_dataset *dataset, uint64_t seed, int64_t epoch);

/* Writes batch `index` (0 <= index < num_batches) of the current order into
 * `inputs`: one buffer per model input, each sized as that input. */
tgc_status tgc_dataset_get_batch(const tgc_dataset *dataset, int64_t index, void *const *inputs);

/*===--- Checkpoints -------------------------------------------------------===*/

/* Where training stands; saved in the checkpoint's __metadata__. */
typedef struct tgc_checkpoint_info {
  int64_t step;  /* training steps done */
  int64_t epoch; /* the epoch the next step belongs to */
  uint64_t seed; /* of init and shuffling */
} tgc_checkpoint_info;

/* Writes every state tensor of `model` as a safetensors file, through
 * "<path>.tmp.<pid>", fsync and rename: `path` is either the old file or
 * the complete new one, never a partial file. */
tgc_status tgc_checkpoint_save(const char *path, const tgc_model *model,
                               const tgc_checkpoint_info *info);

/* Checks the whole file (format, model name, every tensor's name, dtype and
 * shape against the model's state) before it copies the tensors into the
 * state; on failure the state is untouched. `info` may be NULL. */
tgc_status tgc_checkpoint_load(const char *path, const tgc_model *model, tgc_checkpoint_info *info);

/*===--- CUDA ---------------------------------------------------------------===*/

/* The device side of models built with `tgc --target=cuda`
 * (runtime/Cuda.cpp). The CUDA driver (libcuda.so.1) is loaded with dlopen
 * at first use, so binaries that never call these run without it. One
 * device (the first), its primary context and one stream: every device
 * operation runs in order, except batch prefetches (below), whose copies
 * run on a second stream. All functions are thread-safe; waits for the
 * device do not block other threads' calls. The environment variable TGC_CUDA_LIBRARY names
 * another driver library; TGC_CUDA_SYNC=1 waits for each kernel, so that a
 * failing one is named. Compiled code reaches these through the mgpu*
 * functions of MLIR's GPU lowering, which the same file defines; there a
 * failure prints one line ("<program>: error: ...") and exits with status 1. */

/* Loads the driver, picks the device, creates the context and the stream.
 * TGC_ERROR_DEVICE with a message when there is no driver or no device;
 * later calls return the first call's result. */
tgc_status tgc_cuda_init(void);

typedef struct tgc_cuda_device_info {
  char name[256];
  int32_t compute_capability; /* 90 for sm_90 */
  uint64_t total_memory;      /* bytes */
  int32_t multiprocessors;    /* SMs */
} tgc_cuda_device_info;

tgc_status tgc_cuda_get_device_info(tgc_cuda_device_info *info);

/* Device memory from a caching arena: freed blocks serve later requests of
 * the same rounded size, so a training loop stops calling the driver after
 * its first step. NULL when out of device memory (after releasing the
 * cache), with tgc_last_error() saying how much was asked and is free. */
void *tgc_cuda_alloc(size_t size);
void tgc_cuda_free(void *device_ptr);

/* What the CUDA runtime adds to a step's device buffers (tgc
 * --memory-report states both): each allocation is rounded up to
 * TGC_CUDA_ALLOCATION_GRANULE bytes, and every stream that runs cuBLAS gets a
 * workspace of TGC_CUDA_CUBLAS_WORKSPACE_BYTES. */
#define TGC_CUDA_ALLOCATION_GRANULE 512
#define TGC_CUDA_CUBLAS_WORKSPACE_BYTES (32 << 20)

/* The arena's statistics, in rounded (512-byte) blocks: what compiled steps
 * hold (bytes_in_use and its peak, the buffers of a CUDA graph's results
 * included), what was taken from the driver (bytes_reserved: cached blocks
 * included), allocations and those served from the cache. */
void tgc_cuda_memory_get_stats(tgc_memory_stats *stats);
/* Sets peak_bytes_in_use to bytes_in_use, to measure one phase. */
void tgc_cuda_memory_reset_peak(void);

/* Copies between host and device memory, in order with the device work;
 * copy_to_host returns when the data is on the host. */
tgc_status tgc_cuda_copy_to_device(void *device_ptr, const void *host, size_t size);
tgc_status tgc_cuda_copy_to_host(void *host, const void *device_ptr, size_t size);

/* Waits for all device work; reports a failure of any of it. */
tgc_status tgc_cuda_synchronize(void);

/* Pinned (page-locked) host memory, for batches: copies from it to the
 * device run asynchronously and at full bandwidth (from ordinary memory the
 * driver stages them through a pinned buffer of its own). NULL with
 * tgc_last_error() when none can be had; freeing anything else is fatal. */
void *tgc_cuda_host_alloc(size_t size);
void tgc_cuda_host_free(void *host);

/* Batch prefetch, what a CUDA model's prefetch and its entry points' uploads
 * run on. *batches (NULL at first) keeps two device staging copies of a
 * batch of `count` buffers of bytes[i] each (the same for every call).
 * tgc_cuda_batch_prefetch queues the copies of host[0..count) into a free
 * staging copy on a second stream and returns; when both hold batches not
 * yet uploaded, the older one is dropped (a prefetch of the same buffers
 * replaces their earlier one), and never the one a call is reading.
 * tgc_cuda_batch_upload gives a call its batch on the runtime's stream: if
 * the oldest staging copy whose buffers start with host[0..count) exists,
 * it sets device_ptrs[0..count) to that copy's buffers (after the stream
 * waits for the prefetch's copies) and the call reads them there until
 * tgc_cuda_batch_release (or the next upload) says its work is queued;
 * else it copies host[0..count) into device_ptrs[0..count), as
 * tgc_cuda_copy_to_device. A prefetch into a staging copy waits on the
 * device for the work of the last call that read it. The host buffers must
 * not change until the call that uses them has completed on the device (a
 * copy to the host after it, such as the step's loss, has returned).
 * Errors: a prefetch of other sizes than the first, or a CUDA failure;
 * nothing is queued then. */
tgc_status tgc_cuda_batch_prefetch(void **batches, int32_t count, void *const *host,
                                   const size_t *bytes);
tgc_status tgc_cuda_batch_upload(void **batches, int32_t count, void *const *host,
                                 void **device_ptrs, const size_t *bytes);
tgc_status tgc_cuda_batch_release(void **batches);

/* Profiling: while enabled, every kernel, copy and cuBLAS call is timed
 * with CUDA events and waited for (so entry points run without CUDA
 * graphs), and its device time is added to its name's; a batch prefetch's
 * copies are timed on their stream and not waited for ("cuMemcpyAsync
 * (batch prefetch)", counted when their staging copy is used next or at
 * the report). Enabling resets the counts. The report is a table, largest
 * total first, valid until the next call. TGC_CUDA_PROFILE=1 enables it at
 * init and prints the report to stderr at exit. */
tgc_status tgc_cuda_profile(bool enabled);
const char *tgc_cuda_profile_report(void);

/* The device copy of a global whose host data is `host`: created and filled
 * from the host at the first call. Compiled code calls it for every global
 * it uses; a failure is fatal. */
void *tgc_cuda_global(void *host, int64_t size, bool constant);

/* Copy every mutable global's device copy to its host data, and back: the
 * state_to_host and state_to_device hooks of CUDA models. Fatal on failure. */
void tgc_cuda_globals_to_host(void);
void tgc_cuda_globals_to_device(void);

/* The matmuls of CUDA models: tgc_matmul_f32/_f64 (above) on device
 * buffers, through cuBLAS (runtime/CudaBlas.cpp) on the runtime's stream.
 * libcublas is loaded with dlopen at the first call: $TGC_CUBLAS_LIBRARY,
 * else libcublas.so.13 or .12 on the loader's path or in $CUDA_HOME/lib64 or
 * /usr/local/cuda/lib64. FP32 products are exact FP32 unless
 * TGC_CUDA_MATMUL=bf16 (or tf32) computes them on tensor cores from inputs
 * rounded to bf16 (or TF32), accumulating in FP32; parameters stay FP32.
 * TGC_CUDA_MATMUL=3xtf32 keeps FP32's accuracy on TF32 tensor cores: each
 * operand split into its TF32 rounding and the rest (runtime kernels,
 * runtime/CudaSplitTF32.cu), three TF32 products summed in one GEMM.
 * With TGC_CUDA_SMALL_GEMM=1 (and exact FP32), products of at most 1024
 * small output tiles run as one kernel of the runtime's instead
 * (runtime/CudaSmallGemm.cu), in a fixed order of sums; so do those of
 * tgc_cuda_matmul_bias_f32, epilogue included. A failure is fatal. */
void _mlir_ciface_tgc_cuda_matmul_f32(tgc_memref3_f32 *a, tgc_memref3_f32 *b, tgc_memref3_f32 *c,
                                      int64_t accumulate);
void _mlir_ciface_tgc_cuda_matmul_f64(tgc_memref3_f64 *a, tgc_memref3_f64 *b, tgc_memref3_f64 *c,
                                      int64_t accumulate);

/* A rank-3 strided view of bf16 elements (their bits, uint16_t). */
typedef struct tgc_memref3_bf16 {
  uint16_t *allocated;
  uint16_t *aligned;
  int64_t offset;
  int64_t sizes[3];
  int64_t strides[3];
} tgc_memref3_bf16;

/* tgc_cuda_matmul_f32 with bf16 operands: the FP32 product of bf16 A and B,
 * accumulated in FP32 and rounded once (cublasGemmStridedBatchedEx with
 * CUDA_R_16BF operands and CUBLAS_COMPUTE_32F; TGC_CUDA_MATMUL does not
 * apply). The compiler calls it for matmuls whose operands are bf16 values
 * widened to f32 (tg-gpu-bf16-matmul-operands): the widened copies are never
 * stored. A's and B's rows or columns must be contiguous (fatal otherwise). */
void _mlir_ciface_tgc_cuda_matmul_bf16_f32(tgc_memref3_bf16 *a, tgc_memref3_bf16 *b,
                                           tgc_memref3_f32 *c, int64_t accumulate);

/* tgc_cuda_matmul_bf16_f32 with a bf16 result: the FP32 accumulation (plus
 * the old C, widened, when accumulate != 0) rounded once to bf16, to nearest
 * even, by cuBLAS (CUDA_R_16BF for A, B and C, CUBLAS_COMPUTE_32F, FP32
 * alpha and beta). The compiler calls it, always with accumulate = 0, for
 * autocast's matmuls whose f32 product is only ever read rounded to bf16
 * (tg-gpu-bf16-matmul-results): the f32 product is never stored. A's, B's
 * and C's rows or columns must be contiguous (fatal otherwise). */
void _mlir_ciface_tgc_cuda_matmul_bf16_bf16(tgc_memref3_bf16 *a, tgc_memref3_bf16 *b,
                                            tgc_memref3_bf16 *c, int64_t accumulate);

/* A rank-1 strided view (memref<?xT, strided<[?], offset: ?>>). */
typedef struct tgc_memref1_f32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} tgc_memref1_f32;

/* The epilogues of tgc_cuda_matmul_bias_f32. GELU is the tanh
 * approximation, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the one
 * cuBLASLt implements. */
enum {
  TGC_EPILOGUE_BIAS = 0,
  TGC_EPILOGUE_BIAS_RELU = 1,
  TGC_EPILOGUE_BIAS_GELU_TANH = 2,
};

/* C[b, i, j] = act(sum_l A[b, i, l] B[b, l, j] + bias[j]), act being the
 * identity, relu or gelu (`epilogue`, above), with the views of
 * tgc_matmul_f32 and a bias of n elements: a linear layer's matmul, bias
 * and activation as one cublasLtMatmul with its epilogue (the compiler
 * fuses them, tg-gpu-matmul-epilogues). libcublasLt is loaded like
 * libcublas: $TGC_CUBLASLT_LIBRARY, else libcublasLt.so.13 or .12 in the
 * same places. TGC_CUDA_MATMUL applies as to tgc_cuda_matmul_f32. Views
 * cuBLASLt cannot address are copied to scratch blocks; a failure is
 * fatal. */
void _mlir_ciface_tgc_cuda_matmul_bias_f32(tgc_memref3_f32 *a, tgc_memref3_f32 *b,
                                           tgc_memref1_f32 *bias, tgc_memref3_f32 *c,
                                           int64_t epilogue);

/* A rank-1 strided view of bf16 elements (their bits). */
typedef struct tgc_memref1_bf16 {
  uint16_t *allocated;
  uint16_t *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} tgc_memref1_bf16;

/* tgc_cuda_matmul_bias_f32 for autocast's linear layers: bf16 A, B and
 * bias, the FP32 accumulation plus the bias, activated and rounded once to
 * bf16 in C (CUDA_R_16BF matrices and bias, CUBLAS_COMPUTE_32F; relu
 * commutes with the rounding). The compiler calls it with the identity or
 * relu (tg-gpu-matmul-epilogues). No copies: A's and B's rows or columns,
 * C's rows and the bias must be contiguous (fatal otherwise). */
void _mlir_ciface_tgc_cuda_matmul_bias_bf16(tgc_memref3_bf16 *a, tgc_memref3_bf16 *b,
                                            tgc_memref1_bf16 *bias, tgc_memref3_bf16 *c,
                                            int64_t epilogue);

/* Runs body(result), the call of a compiled entry point that writes its
 * results' descriptors (result_bytes at `result`), through CUDA graphs: the
 * first call runs it (creating the globals' device copies); later calls
 * with a binding of its inputs not seen before (inputs[0..count), the
 * device buffers body reads them from) capture its device work into a graph
 * for them and launch that; calls with a binding seen before launch its
 * graph without calling body and return the descriptors of the capture.
 * The device buffers the graphs work in are reserved for them, and shared
 * among the graphs of one entry point (each later capture gets the blocks of
 * the first, allocated in the same order). The result buffers are the
 * caller's to free after each call, and a call while the caller still holds
 * them runs body instead. So body must do the same device work on every
 * call (compiled code does: no host decision depends on device data) on
 * the same argument buffers, but for the inputs. *graph (NULL at first)
 * keeps the graphs: at most one for the entry point's own input buffers,
 * two for the staging copies of prefetched batches and two for inputs in
 * place (tgc_cuda_device_inputs); other bindings run body.
 * TGC_CUDA_GRAPHS=0 or TGC_CUDA_SYNC=1 always run body. */
void tgc_cuda_run(void **graph, int32_t count, void *const *inputs, void (*body)(void *result),
                  void *result, size_t result_bytes);

/* Whether the entry point of `graph` (tgc_cuda_run's handle) reads its
 * inputs[0..count) where they are (*in_place), rather than from copies in
 * buffers of its own: when each is device memory of the runtime's context,
 * 16-byte aligned (the kernels assume it), and the entry point has a graph
 * for these buffers or may capture one (at most two such bindings). An
 * input in device memory that holds less than bytes[i] from inputs[i] is an
 * error. */
tgc_status tgc_cuda_device_inputs(void **graph, int32_t count, void *const *inputs,
                                  const size_t *bytes, bool *in_place);

/* Concurrent branches (what tg-gpu-concurrent-branches emits): device work
 * that does not depend on the main stream's latest work runs on a second,
 * side stream meanwhile; in a graph, as a parallel branch.
 * tgc_cuda_fork makes the side stream wait for all work queued so far;
 * tgc_cuda_use_stream(0 or 1) sends later kernels and cuBLAS calls to the
 * main or the side stream; tgc_cuda_signal(e) records event e (numbered
 * from 0 by the compiler) on the current stream and tgc_cuda_wait(e) makes
 * the current stream wait for its latest record; tgc_cuda_join makes the
 * main stream wait for the side one and current again. Device memory
 * released between the fork and the join is reused only after the join.
 * With TGC_CUDA_BRANCHES=0, TGC_CUDA_SYNC=1 or while profiling, the fork
 * does nothing and neither do the others until the join: one stream, in
 * program order. Failures are fatal, as for the matmuls. */
void tgc_cuda_fork(void);
void tgc_cuda_use_stream(int32_t stream);
void tgc_cuda_signal(int32_t event);
void tgc_cuda_wait(int32_t event);
void tgc_cuda_join(void);

/* Prints "<program>: error: <tgc_last_error()>" to stderr and exits with
 * status 1: how generated code reports a failed call above. */
void tgc_cuda_fail(void);

/*===--- Attention ---------------------------------------------------------===*/

/* A rank-4 strided view of bf16 elements
 * (memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>): an attention's
 * [batch, heads, T, D] operands. */
typedef struct tgc_memref4_bf16 {
  uint16_t *allocated;
  uint16_t *aligned;
  int64_t offset;
  int64_t sizes[4];
  int64_t strides[4];
} tgc_memref4_bf16;

/* Fused (flash-style) attention of bf16 tensors, for every one of the
 * B * H (batch * heads) slices of its tgc_memref4_bf16 views: q [B, H, Tq, D],
 * k and v [B, H, Tk, D], out [B, H, Tq, D]; each of B and H has its own
 * stride, so [B, T, H, D] activations pass as they are, viewed as
 * [B, H, T, D] (strides [T*H*D, D, H*D, 1]). The compiler calls the CUDA
 * functions for eligible tg.attention ops (tg-gpu-fused-attention,
 * autocast's bf16 attentions with D == 64 and Tq, Tk multiples of 64); the
 * host functions compute the same on host memory, the reference the kernels
 * are checked against (runtime/Attention.cpp). `causal` is 0 or 1: with 1,
 * query i sees key j iff j <= i + (Tk - Tq), and Tk >= Tq. `scale`
 * multiplies the scores.
 *
 * Precision (kernels and reference agree to rounding): products accumulate
 * in f32; s_ij = scale * sum_d q_id k_jd over the keys the query sees,
 * m_i = max_j s_ij, p_ij = exp(s_ij - m_i), l_i = sum_j p_ij (unrounded),
 * out_i = bf16(sum_j bf16(p_ij) v_j / l_i) and lse[b, h, i] = m_i + log(l_i)
 * (lse [B, H, Tq] f32), the row's log-sum-exp, kept for the backward.
 * bf16() rounds to nearest even. The host functions take views of any
 * strides and sizes that agree (D and the lengths unconstrained) and run on
 * the thread pool, a slice per task; views that do not agree are fatal: one
 * line on stderr ("<program>: error: attention forward: k is ..."), exit
 * status 1. */
void _mlir_ciface_tgc_attention_forward_bf16(tgc_memref4_bf16 *q, tgc_memref4_bf16 *k,
                                             tgc_memref4_bf16 *v, tgc_memref4_bf16 *out,
                                             tgc_memref3_f32 *lse, int64_t causal, float scale);

/* The gradients of the forward above given its out and lse and dout =
 * dL/dout [B, H, Tq, D]: dq, dk and dv have the shapes of q, k and v; delta
 * [B, H, Tq] f32 is scratch that receives rowsum(dout * out). With
 * p_ij = exp(s_ij - lse_i) (f32, s as in the forward), delta_i =
 * sum_d dout_id out_id, dp_ij = sum_d dout_id v_jd and
 * ds_ij = p_ij (dp_ij - delta_i): dv_j = bf16(sum_i bf16(p_ij) dout_i),
 * dq_i = bf16(scale sum_j bf16(ds_ij) k_j) and
 * dk_j = bf16(scale sum_i bf16(ds_ij) q_i), sums in f32. */
void _mlir_ciface_tgc_attention_backward_bf16(tgc_memref4_bf16 *q, tgc_memref4_bf16 *k,
                                              tgc_memref4_bf16 *v, tgc_memref4_bf16 *out,
                                              tgc_memref4_bf16 *dout, tgc_memref3_f32 *lse,
                                              tgc_memref4_bf16 *dq, tgc_memref4_bf16 *dk,
                                              tgc_memref4_bf16 *dv, tgc_memref3_f32 *delta,
                                              int64_t causal, float scale);

/* The same two on device memory, on the runtime's stream: the runtime's
 * flash attention kernels (runtime/CudaAttention.cu; the scores never in
 * memory, the probabilities recomputed in the backward from lse). Besides
 * the views above: D == 64, Tq and Tk are multiples of 64, B * H <= 65535;
 * every bf16 view has stride 1 along D, strides along B, H and T that are
 * multiples of 8 and a 16-byte aligned first element (so every row is
 * contiguous and 16-byte aligned); lse and delta have stride 1 along Tq (any
 * strides along B and H). A failure (bad views, a failed launch, a runtime
 * built without nvcc) is fatal, as for the matmuls. */
void _mlir_ciface_tgc_cuda_attention_forward_bf16(tgc_memref4_bf16 *q, tgc_memref4_bf16 *k,
                                                  tgc_memref4_bf16 *v, tgc_memref4_bf16 *out,
                                                  tgc_memref3_f32 *lse, int64_t causal,
                                                  float scale);
void _mlir_ciface_tgc_cuda_attention_backward_bf16(tgc_memref4_bf16 *q, tgc_memref4_bf16 *k,
                                                   tgc_memref4_bf16 *v, tgc_memref4_bf16 *out,
                                                   tgc_memref4_bf16 *dout, tgc_memref3_f32 *lse,
                                                   tgc_memref4_bf16 *dq, tgc_memref4_bf16 *dk,
                                                   tgc_memref4_bf16 *dv, tgc_memref3_f32 *delta,
                                                   int64_t causal, float scale);

/* A rank-4 strided view of f32 elements
 * (memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>). */
typedef struct tgc_memref4_f32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[4];
  int64_t strides[4];
} tgc_memref4_f32;

/* The same attention and gradients in f32, for f32 attentions
 * (tg-gpu-fused-attention with its f32 option: `tgc --fused-attention-f32`):
 * the formulas above without any rounding to bf16 (every product, sum and
 * result in f32; the kernels' sums go in another order, so kernels and
 * reference agree to f32 rounding, not bit for bit). The same views, checks
 * and errors; on the device, rows 16-byte aligned means strides along B, H
 * and T that are multiples of 4. The CUDA kernels run on CUDA cores
 * (runtime/CudaAttentionF32.cu), or on TF32 tensor cores where
 * TGC_CUDA_MATMUL lets FP32 products use them (runtime/CudaAttentionTF32.cu:
 * 3xTF32 under 3xtf32, at f32's accuracy; one TF32 pass under tf32 and
 * bf16). */
void _mlir_ciface_tgc_attention_forward_f32(tgc_memref4_f32 *q, tgc_memref4_f32 *k,
                                            tgc_memref4_f32 *v, tgc_memref4_f32 *out,
                                            tgc_memref3_f32 *lse, int64_t causal, float scale);
void _mlir_ciface_tgc_attention_backward_f32(tgc_memref4_f32 *q, tgc_memref4_f32 *k,
                                             tgc_memref4_f32 *v, tgc_memref4_f32 *out,
                                             tgc_memref4_f32 *dout, tgc_memref3_f32 *lse,
                                             tgc_memref4_f32 *dq, tgc_memref4_f32 *dk,
                                             tgc_memref4_f32 *dv, tgc_memref3_f32 *delta,
                                             int64_t causal, float scale);
void _mlir_ciface_tgc_cuda_attention_forward_f32(tgc_memref4_f32 *q, tgc_memref4_f32 *k,
                                                 tgc_memref4_f32 *v, tgc_memref4_f32 *out,
                                                 tgc_memref3_f32 *lse, int64_t causal, float scale);
void _mlir_ciface_tgc_cuda_attention_backward_f32(tgc_memref4_f32 *q, tgc_memref4_f32 *k,
                                                  tgc_memref4_f32 *v, tgc_memref4_f32 *out,
                                                  tgc_memref4_f32 *dout, tgc_memref3_f32 *lse,
                                                  tgc_memref4_f32 *dq, tgc_memref4_f32 *dk,
                                                  tgc_memref4_f32 *dv, tgc_memref3_f32 *delta,
                                                  int64_t causal, float scale);

/*===--- The training main -------------------------------------------------===*/

/* A complete training program for `model`: parses flags (--help lists
 * them), trains, evaluates, saves. Returns the process exit status: 0 on
 * success, 1 when training failed (data, checkpoint, I/O; the message is on
 * stderr), 2 for bad flags. A compiled model's main is
 *   int main(int argc, char **argv) {
 *     return tgc_train_main(argc, argv, tgc_get_model());
 *   } */
int tgc_train_main(int argc, char **argv, const tgc_model *model);

#ifdef __cplusplus
}
#endif

#endif /* TGC_RUNTIME_H */
