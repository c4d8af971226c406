/*===- model.h - the interface between a compiled model and the runtime ---===*
 *
 * `tgc spec.mlir` compiles a training program into an object that defines
 * tgc_get_model(); the runtime's training main (and embedders, through the
 * generated header of --emit=lib) drive it only through this table. Plain C,
 * no MLIR.
 *
 *===----------------------------------------------------------------------===*/

#ifndef TGC_MODEL_H
#define TGC_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tgc_dtype {
  TGC_F32 = 0,
  TGC_F64 = 1,
  TGC_I32 = 2,
  TGC_I64 = 3,
  TGC_F16 = 4,
  TGC_BF16 = 5,
} tgc_dtype;

/* A named dense tensor in row-major order. For state tensors `data` points
 * at the model's live buffer (the runtime reads it to save a checkpoint and
 * writes it to resume); for batch inputs it is NULL: only the shape and dtype
 * are described. */
typedef struct tgc_tensor {
  const char *name;
  tgc_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  void *data;
} tgc_tensor;

typedef struct tgc_model {
  const char *name; /* the spec, e.g. "mlp_fashion_mnist" */

  /* The batch a step consumes, in the loss function's argument order, e.g.
   * images f32[128, 784] then labels i32[128]. */
  int32_t num_inputs;
  const tgc_tensor *inputs;

  /* Everything a checkpoint holds: parameters, optimizer state, counters. */
  int32_t num_state;
  tgc_tensor *state;

  /* Fills the state from the spec's initializers (Philox keyed by `seed`). */
  void (*init)(uint64_t seed);
  /* One training step on a batch (pointers to the inputs' data, in order);
   * returns the loss before the update. A GPU model takes host or device
   * memory: inputs all in device memory (16-byte aligned) are read where
   * they are, for up to two sets of buffers per entry point (a CUDA graph
   * each); others are copied to the device first. */
  float (*step)(void *const *inputs);
  /* The loss of a batch without updating anything. */
  float (*eval_loss)(void *const *inputs);
  /* Optional (NULL when the spec has no forward function): writes the
   * logits of a batch, [batch, classes] f32, for accuracy. */
  void (*predict)(void *const *inputs, float *logits);
  int64_t num_classes; /* columns of predict's logits; 0 without predict */

  /* Optional (NULL for CPU models): a GPU model computes on device copies
   * of its state, and the state's `data` buffers are host mirrors. These
   * copy device -> data (before a checkpoint is written) and data -> device
   * (after one is read); tgc_checkpoint_save and _load call them. */
  void (*state_to_host)(void);
  void (*state_to_device)(void);

  /* Optional (NULL unless the optimizer evaluates elsewhere than it takes
   * gradients, as Schedule-Free AdamW's average x and interpolation y):
   * eval_view turns the parameters into the point to evaluate at, and
   * train_view turns them back. The runtime evaluates and predicts between
   * the two, and checkpoints hold the eval view: tgc_checkpoint_save calls
   * eval_view before writing and train_view after, tgc_checkpoint_load
   * train_view after reading. */
  void (*eval_view)(void);
  void (*train_view)(void);

  /* Optional (NULL for CPU models and models without inputs): starts
   * copying a batch (pointers to the inputs' data, as step's) to the device
   * and returns without waiting; the next step, eval_loss or predict called
   * with the same pointers (predict: its leading ones) uses that copy
   * instead of copying the batch itself. Two prefetched batches can wait for
   * their calls; a third prefetch drops the older one (whose call then
   * copies the batch itself), and a call with other pointers copies its
   * batch as without prefetch, leaving prefetched batches to their calls.
   * The buffers must not change from the prefetch until the call that
   * consumes them has returned. From pinned memory (tgc_cuda_host_alloc)
   * the copies overlap the device work of the calls before; from ordinary
   * memory the driver stages them first. It may be called on another thread
   * than the other entry points (one prefetch at a time). Returns 0, or a
   * tgc_status (tgc/runtime.h) with tgc_last_error() on the calling thread
   * saying what failed; nothing was prefetched then. */
  int (*prefetch)(void *const *inputs);
} tgc_model;

/* Defined by the compiled model object. */
const tgc_model *tgc_get_model(void);

#ifdef __cplusplus
}
#endif

#endif /* TGC_MODEL_H */
