#!/usr/bin/env bash
# The runs behind nbs/benchmarks.ipynb, one after the other, on an idle machine (on 2 cores, any other busy process halves
# every figure). Each writes its JSON into OUT and prints its tables.
#
#   bash tools/bench_all.sh [MNIST_ARCHIVE_OR_FOLDER] [OUT]
#
# The ablations split MNIST's training images (train/valid/held-out test); `bench` tests on MNIST's own test set when the
# archive or folder has testing/ (fastai's URLs.MNIST does; tools/mnist_testing.py adds it to a copy without one).
set -euo pipefail
MNIST="${1:-../shared/data/mnist_png_training.tgz}"
OUT="${2:-bench_out}"
mkdir -p "$OUT"
digitcls bench --ablation digits --json "$OUT/ablation-digits.json"                      # every option alone, 3 seeds
digitcls bench --ablation mnist --mnist "$MNIST" --json "$OUT/ablation-mnist.json"        # every option alone, 1 seed
digitcls bench --ablation finalists --mnist "$MNIST" --json "$OUT/ablation-finalists.json" # the best combinations, 3 seeds
digitcls bench --mnist "$MNIST" --fast --archs --json "$OUT/bench.json"                  # pipeline, MNIST vs fastai, prediction, architectures
