# Sourced by the GPU scripts: matmuls call cuBLAS, which the runtime loads at
# run time. When neither the loader nor /usr/local/cuda has it, points the
# runtime at pip's copy (next to torch) through TGC_CUBLAS_LIBRARY, and at
# the cuBLASLt beside it through TGC_CUBLASLT_LIBRARY.
if [[ -z ${TGC_CUBLAS_LIBRARY:-} ]] && ! ldconfig -p 2> /dev/null | grep -q 'libcublas\.so\.1[23] ' &&
  [[ ! -e /usr/local/cuda/lib64/libcublas.so.13 && ! -e /usr/local/cuda/lib64/libcublas.so.12 ]]; then
  found=$(python3 -c "
import glob, site, sys
for d in site.getsitepackages() + [site.getusersitepackages()]:
    for pattern in ('nvidia/cu13/lib/libcublas.so.13', 'nvidia/cublas/lib/libcublas.so.1[23]'):
        hits = sorted(glob.glob(d + '/' + pattern))
        if hits:
            print(hits[-1]); sys.exit()" 2> /dev/null)
  if [[ -n $found ]]; then
    export TGC_CUBLAS_LIBRARY=$found
    lt=${found/libcublas.so/libcublasLt.so}
    [[ -e $lt ]] && export TGC_CUBLASLT_LIBRARY=$lt
  fi
fi
