/* parity_main.c - drives a model compiled with `tgc --emit=lib` for the
 * PyTorch parity tests (parity.py builds and runs it).
 *
 *   parity_main DIR STEPS [EVAL_EVERY]
 *
 * init(0), then every state tensor NAME with a DIR/NAME.npy takes that file's
 * values (same dtype and shape). Input i of the step is read from
 * DIR/inputs_<i>.npy, shaped [STEPS, <the input's shape>]; step k uses slice
 * k. Prints "step K LOSS" (%.9g) per step, then writes every state tensor to
 * DIR/final_NAME.npy. With EVAL_EVERY > 0, after every EVAL_EVERY steps it
 * evaluates as the runtime's --eval does (eval_view, eval_loss and predict,
 * train_view) on the batch DIR/eval_inputs_<i>.npy ([1, <shape>]), prints
 * "eval K LOSS" and writes the logits to DIR/eval_logits_K.npy (K: steps
 * taken), and at the end saves a checkpoint, DIR/final.safetensors. Exits 1
 * with a message on any error. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tgc/runtime.h"

static void die(const char *what, const char *detail) {
  fprintf(stderr, "parity_main: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static int array_dtype(tgc_dtype dtype, tgc_array_dtype *out, const char **descr, size_t *size) {
  switch (dtype) {
  case TGC_F32: *out = TGC_ARRAY_F32; *descr = "<f4"; *size = 4; return 1;
  case TGC_F64: *out = TGC_ARRAY_F64; *descr = "<f8"; *size = 8; return 1;
  case TGC_I32: *out = TGC_ARRAY_I32; *descr = "<i4"; *size = 4; return 1;
  case TGC_I64: *out = TGC_ARRAY_I64; *descr = "<i8"; *size = 8; return 1;
  default: return 0;
  }
}

static int64_t num_elements(const tgc_tensor *t) {
  int64_t n = 1;
  for (int32_t d = 0; d < t->rank; ++d)
    n *= t->shape[d];
  return n;
}

/* Bytes of `t`'s data; exits on a dtype the harness does not handle. */
static size_t num_bytes(const tgc_tensor *t) {
  tgc_array_dtype unused;
  const char *descr;
  size_t size;
  if (!array_dtype(t->dtype, &unused, &descr, &size))
    die("unsupported dtype of", t->name);
  return size * (size_t)num_elements(t);
}

/* Loads `path` into `arr` and checks it holds `t` (with `lead` >= 0 as an
 * extra leading dimension). */
static void load_checked(const char *path, const tgc_tensor *t, int64_t lead, tgc_array *arr) {
  tgc_array_dtype want;
  const char *descr;
  size_t size;
  if (!array_dtype(t->dtype, &want, &descr, &size))
    die("unsupported dtype of", t->name);
  if (tgc_load_npy(path, arr) != TGC_OK)
    die("cannot load", tgc_last_error());
  int32_t extra = lead >= 0 ? 1 : 0;
  int ok = arr->dtype == want && arr->rank == t->rank + extra && (!extra || arr->shape[0] >= lead);
  for (int32_t d = 0; ok && d < t->rank; ++d)
    ok = arr->shape[d + extra] == t->shape[d];
  if (!ok)
    die("dtype or shape does not match the model", path);
}

static void save_npy(const char *path, const tgc_tensor *t);

/* The runtime's evaluation of one batch: in the optimizer's eval view, the
 * eval-mode loss and logits. */
static void evaluate(const tgc_model *model, void **inputs, const char *dir, long k) {
  char path[4096];
  if (model->eval_view)
    model->eval_view();
  printf("eval %ld %.9g\n", k, (double)model->eval_loss(inputs));
  if (model->predict) {
    const tgc_tensor *images = &model->inputs[0];
    int64_t shape[2] = {images->shape[0], model->num_classes};
    float *logits = malloc(sizeof(float) * (size_t)(shape[0] * shape[1]));
    if (!logits)
      die("out of memory", NULL);
    model->predict(inputs, logits);
    tgc_tensor t = {"logits", TGC_F32, 2, shape, logits};
    snprintf(path, sizeof path, "%s/eval_logits_%ld.npy", dir, k);
    save_npy(path, &t);
    free(logits);
  }
  if (model->train_view)
    model->train_view();
}

static void save_npy(const char *path, const tgc_tensor *t) {
  tgc_array_dtype unused;
  const char *descr;
  size_t size;
  if (!array_dtype(t->dtype, &unused, &descr, &size))
    die("unsupported dtype of", t->name);
  char shape[256] = "";
  size_t len = 0;
  for (int32_t d = 0; d < t->rank; ++d)
    len += (size_t)snprintf(shape + len, sizeof shape - len, "%" PRId64 ",%s", t->shape[d],
                            d + 1 < t->rank ? " " : "");
  if (t->rank > 1)
    shape[len - 1] = '\0'; /* (a, b,) -> (a, b) */
  char header[512];
  int n = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                   descr, shape);
  int total = 10 + n + 1;
  int pad = (64 - total % 64) % 64;
  FILE *f = fopen(path, "wb");
  if (!f)
    die("cannot write", path);
  uint16_t hlen = (uint16_t)(n + pad + 1);
  int ok = fwrite("\x93NUMPY\x01\x00", 1, 8, f) == 8 && fputc(hlen & 0xff, f) != EOF &&
           fputc(hlen >> 8, f) != EOF && fwrite(header, 1, (size_t)n, f) == (size_t)n;
  for (int i = 0; ok && i < pad; ++i)
    ok = fputc(' ', f) != EOF;
  ok = ok && fputc('\n', f) != EOF;
  ok = ok && fwrite(t->data, 1, num_bytes(t), f) == num_bytes(t);
  if (fclose(f) != 0 || !ok)
    die("cannot write", path);
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4)
    die("usage: parity_main DIR STEPS [EVAL_EVERY]", NULL);
  const char *dir = argv[1];
  long steps = strtol(argv[2], NULL, 10);
  if (steps <= 0)
    die("bad step count", argv[2]);
  long eval_every = argc == 4 ? strtol(argv[3], NULL, 10) : 0;
  const tgc_model *model = tgc_get_model();
  char path[4096];

  model->init(0);
  for (int32_t s = 0; s < model->num_state; ++s) {
    const tgc_tensor *t = &model->state[s];
    snprintf(path, sizeof path, "%s/%s.npy", dir, t->name);
    FILE *probe = fopen(path, "rb");
    if (!probe)
      continue;
    fclose(probe);
    tgc_array arr;
    load_checked(path, t, -1, &arr);
    memcpy(t->data, arr.data, num_bytes(t));
    tgc_array_free(&arr);
  }

  int32_t ni = model->num_inputs;
  tgc_array *batches = calloc((size_t)ni, sizeof *batches);
  void **ptrs = calloc((size_t)ni, sizeof *ptrs);
  size_t *bytes = calloc((size_t)ni, sizeof *bytes);
  if (!batches || !ptrs || !bytes)
    die("out of memory", NULL);
  for (int32_t i = 0; i < ni; ++i) {
    snprintf(path, sizeof path, "%s/inputs_%d.npy", dir, (int)i);
    load_checked(path, &model->inputs[i], steps, &batches[i]);
    bytes[i] = num_bytes(&model->inputs[i]);
  }

  tgc_array *eval_batches = calloc((size_t)ni, sizeof *eval_batches);
  void **eval_ptrs = calloc((size_t)ni, sizeof *eval_ptrs);
  if (!eval_batches || !eval_ptrs)
    die("out of memory", NULL);
  for (int32_t i = 0; eval_every > 0 && i < ni; ++i) {
    snprintf(path, sizeof path, "%s/eval_inputs_%d.npy", dir, (int)i);
    load_checked(path, &model->inputs[i], 1, &eval_batches[i]);
    eval_ptrs[i] = eval_batches[i].data;
  }

  for (long k = 0; k < steps; ++k) {
    for (int32_t i = 0; i < ni; ++i)
      ptrs[i] = (char *)batches[i].data + (size_t)k * bytes[i];
    float loss = model->step(ptrs);
    printf("step %ld %.9g\n", k, (double)loss);
    if (eval_every > 0 && (k + 1) % eval_every == 0)
      evaluate(model, eval_ptrs, dir, k + 1);
  }
  if (eval_every > 0) {
    snprintf(path, sizeof path, "%s/final.safetensors", dir);
    tgc_checkpoint_info info = {steps, 0, 0};
    if (tgc_checkpoint_save(path, model, &info) != TGC_OK)
      die("cannot save", tgc_last_error());
  }
  if (fflush(stdout) != 0)
    die("cannot write stdout", NULL);

  for (int32_t s = 0; s < model->num_state; ++s) {
    snprintf(path, sizeof path, "%s/final_%s.npy", dir, model->state[s].name);
    save_npy(path, &model->state[s]);
  }
  for (int32_t i = 0; i < ni; ++i) {
    tgc_array_free(&batches[i]);
    if (eval_every > 0)
      tgc_array_free(&eval_batches[i]);
  }
  free(batches);
  free(eval_batches);
  free(eval_ptrs);
  free(ptrs);
  free(bytes);
  return 0;
}
