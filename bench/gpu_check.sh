#!/usr/bin/env bash
# The GPU checks of issue #4 as one script, for a short lease on a GPU machine:
# the configuration, the GPU tests (the fake-CuPy half included, as a control),
# then the GPU benchmark (--quick unless other flags are given). Needs fastntk
# installed with CuPy; nothing is downloaded.
set -uo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
python -c "import fastntk; fastntk.show_config()"
timeout 300 python -m pytest -q -p no:cacheprovider tests/test_cuda.py tests/test_gpu_backend.py -rs
tests=$?
timeout 240 python bench/bench_gpu.py "${@:---quick}"
bench=$?
echo "tests exit $tests, benchmark exit $bench"
exit $(( tests || bench ))
