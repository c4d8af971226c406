//===- TGKernelOps.td - runtime kernels as ops --------------*- tablegen -*-===//
//
// Ops that stand for one call of a runtime kernel, made by code generation
// (never written in specs): on tensors in destination-passing style, like
// linalg's ops (`outs` tied to the results), and after bufferization on
// buffers, without results. They bufferize through BufferizableOpInterface
// (lib/Compiler/KernelBufferization.cpp) and report their memory effects
// on buffers (inputs read, outputs written), which deallocation and tgc's
// buffer analyses rely on.
//
//===----------------------------------------------------------------------===//

#ifndef TG_KERNEL_OPS_TD
#define TG_KERNEL_OPS_TD

include "TGBase.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"

// A kernel's operand: a ranked tensor, or after bufferization a buffer
// with a strided layout (the runtime takes strided views).
def TG_KernelOperand : AnyTypeOf<[AnyRankedTensor, AnyStridedMemRef],
                                  "ranked tensor or strided memref">;

class TG_KernelOp<string mnemonic, list<Trait> traits = []>
    : TG_Op<mnemonic, !listconcat(traits, [
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
        DestinationStyleOpInterface])> {
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let hasVerifier = 1;
}

def TG_FusedAttentionForwardOp : TG_KernelOp<"fused_attention_forward"> {
  let summary = "fused (flash-style) attention of bf16 or f32 [B, H, T, D] heads";
  let description = [{
    `out = softmax(query key^T * scale + mask) value` for each of the B x H
    heads of `query` [B, H, Tq, D], `key` and `value` [B, H, Tk, D], into
    `out` [B, H, Tq, D], all four of one element type, bf16 or f32, and each
    query row's log-sum-exp of its scaled, masked scores into `lse`
    [B, H, Tq] (f32), which the backward reads. With `causal`, query i sees
    key j iff j <= i + (Tk - Tq), and Tk >= Tq. The runtime's
    `tgc_cuda_attention_forward_bf16` or `_f32` computes it
    (include/tgc/runtime.h states its rounding); `tg-gpu-fused-attention`
    makes it from an eligible `tg.attention`. On buffers, the [B, H, T, D]
    operands may be views of any strides with rows of unit stride: a
    [B, T, H, D] activation transposed (tg-gpu-attention-views).

    ```mlir
    %o, %lse = tg.fused_attention_forward causal scale 0.125
        ins(%q, %k, %v : tensor<2x4x128x64xbf16>, tensor<2x4x128x64xbf16>, tensor<2x4x128x64xbf16>)
        outs(%o0, %l0 : tensor<2x4x128x64xbf16>, tensor<2x4x128xf32>)
        -> tensor<2x4x128x64xbf16>, tensor<2x4x128xf32>
    ```
  }];
  let arguments = (ins TG_KernelOperand:$query, TG_KernelOperand:$key,
                       TG_KernelOperand:$value, TG_KernelOperand:$out,
                       TG_KernelOperand:$lse, UnitAttr:$causal, F32Attr:$scale);
  let assemblyFormat = [{
    (`causal` $causal^)? `scale` $scale
    `ins` `(` $query `,` $key `,` $value `:` type($query) `,` type($key) `,` type($value) `)`
    `outs` `(` $out `,` $lse `:` type($out) `,` type($lse) `)`
    attr-dict (`->` type($results)^)?
  }];
  let extraClassDeclaration = [{
    /// DestinationStyleOpInterface: `out` and `lse`.
    MutableOperandRange getDpsInitsMutable() {
      return MutableOperandRange(getOperation(), 3, 2);
    }
  }];
}

def TG_FusedAttentionBackwardOp : TG_KernelOp<"fused_attention_backward"> {
  let summary = "gradients of tg.fused_attention_forward";
  let description = [{
    Given the forward's operands, its `out` and `lse`, and `dout`, the
    gradient of a loss with respect to `out`: `dq`, `dk` and `dv`, the
    gradients with respect to `query`, `key` and `value` (their shapes; all
    of the [B, H, T, D] operands of one element type, bf16 or f32). `delta`
    [B, H, Tq] (f32) is scratch: it receives rowsum(dout * out). The
    runtime's `tgc_cuda_attention_backward_bf16` or `_f32` computes it.

    ```mlir
    %dq, %dk, %dv, %delta = tg.fused_attention_backward causal scale 0.125
        ins(%q, %k, %v, %o, %do, %lse : tensor<2x4x128x64xbf16>, tensor<2x4x128x64xbf16>,
            tensor<2x4x128x64xbf16>, tensor<2x4x128x64xbf16>, tensor<2x4x128x64xbf16>,
            tensor<2x4x128xf32>)
        outs(%dq0, %dk0, %dv0, %d0 : tensor<2x4x128x64xbf16>, tensor<2x4x128x64xbf16>,
             tensor<2x4x128x64xbf16>, tensor<2x4x128xf32>)
        -> tensor<2x4x128x64xbf16>, tensor<2x4x128x64xbf16>, tensor<2x4x128x64xbf16>,
           tensor<2x4x128xf32>
    ```
  }];
  let arguments = (ins TG_KernelOperand:$query, TG_KernelOperand:$key,
                       TG_KernelOperand:$value, TG_KernelOperand:$out,
                       TG_KernelOperand:$dout, TG_KernelOperand:$lse,
                       TG_KernelOperand:$dq, TG_KernelOperand:$dk,
                       TG_KernelOperand:$dv, TG_KernelOperand:$delta,
                       UnitAttr:$causal, F32Attr:$scale);
  let assemblyFormat = [{
    (`causal` $causal^)? `scale` $scale
    `ins` `(` $query `,` $key `,` $value `,` $out `,` $dout `,` $lse `:`
      type($query) `,` type($key) `,` type($value) `,` type($out) `,` type($dout) `,`
      type($lse) `)`
    `outs` `(` $dq `,` $dk `,` $dv `,` $delta `:`
      type($dq) `,` type($dk) `,` type($dv) `,` type($delta) `)`
    attr-dict (`->` type($results)^)?
  }];
  let extraClassDeclaration = [{
    /// DestinationStyleOpInterface: `dq`, `dk`, `dv` and `delta`.
    MutableOperandRange getDpsInitsMutable() {
      return MutableOperandRange(getOperation(), 6, 4);
    }
  }];
}

#endif // TG_KERNEL_OPS_TD
