// graph_nodes.cu - what a CUDA graph of N small kernels in a chain costs on
// this GPU, and the same kernels paired in two branches (fork/join events):
// the floor of a step that is a chain of graph nodes (the MLP's is 17).
//
//   /usr/local/cuda/bin/nvcc -O3 -arch=sm_90 bench/gpu/graph_nodes.cu -o graph_nodes
//   ./graph_nodes      (on the GPU machine)
#include <algorithm>
#include <cstdio>
#include <cuda_runtime.h>
#include <vector>

__global__ void scale(float *x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    x[i] = x[i] * 1.0001f + 1.f;
}

/// The median time of one launch of a graph of `nodes` kernels of `blocks`
/// blocks, in a chain or paired into two branches.
float graphMicroseconds(int nodes, bool paired, float *x, int blocks) {
  cudaStream_t main, side;
  cudaStreamCreateWithFlags(&main, cudaStreamNonBlocking);
  cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking);
  cudaEvent_t fork, join;
  cudaEventCreateWithFlags(&fork, cudaEventDisableTiming);
  cudaEventCreateWithFlags(&join, cudaEventDisableTiming);
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  cudaStreamBeginCapture(main, cudaStreamCaptureModeGlobal);
  for (int i = 0; i < nodes; ++i) {
    if (paired && i + 1 < nodes) {
      cudaEventRecord(fork, main);
      cudaStreamWaitEvent(side, fork, 0);
      scale<<<blocks, 256, 0, side>>>(x + (1 << 20), blocks * 256);
      scale<<<blocks, 256, 0, main>>>(x, blocks * 256);
      cudaEventRecord(join, side);
      cudaStreamWaitEvent(main, join, 0);
      ++i;
    } else {
      scale<<<blocks, 256, 0, main>>>(x, blocks * 256);
    }
  }
  cudaStreamEndCapture(main, &graph);
  cudaGraphInstantiate(&exec, graph, 0);
  cudaEvent_t start, end;
  cudaEventCreate(&start);
  cudaEventCreate(&end);
  std::vector<float> times;
  for (int run = 0; run < 50; ++run) {
    cudaEventRecord(start, main);
    cudaGraphLaunch(exec, main);
    cudaEventRecord(end, main);
    cudaEventSynchronize(end);
    float ms;
    cudaEventElapsedTime(&ms, start, end);
    if (run >= 10)
      times.push_back(ms * 1000);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

int main() {
  float *x;
  if (cudaMalloc(&x, 64 << 20) != cudaSuccess) {
    std::fprintf(stderr, "graph_nodes: no CUDA device\n");
    return 1;
  }
  for (int blocks : {1, 256})
    for (int nodes : {1, 9, 17, 34})
      std::printf("chain of %2d kernels of %3d blocks: %6.1f us; paired in 2 branches: %6.1f us\n",
                  nodes, blocks, graphMicroseconds(nodes, false, x, blocks),
                  graphMicroseconds(nodes, true, x, blocks));
  return 0;
}
