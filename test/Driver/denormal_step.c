/* denormal_step.c - one step of Inputs/denormal_square.mlir on inputs of
 * 1e-20, whose squares are denormal: prints the loss, and whether the
 * caller's floating-point mode (MXCSR) is the same after the step. */

#include <stdio.h>
#include <xmmintrin.h>

#include "tgc/runtime.h"

int main(void) {
  const tgc_model *model = tgc_get_model();
  float x[4] = {1e-20f, 1e-20f, 1e-20f, 1e-20f};
  void *inputs[1] = {x};
  model->init(0);
  unsigned before = _mm_getcsr();
  float loss = model->step(inputs);
  printf("loss %g\n", loss);
  /* The modes, not the exception flags (the low six bits) the step raised. */
  printf("caller mode %s\n", ((_mm_getcsr() ^ before) & ~0x3fu) == 0 ? "kept" : "changed");
  return 0;
}
