#!/usr/bin/env bash
# Digital deep JSCC at CPU scale (issue 19, part): the sweep configs/sweeps/digital_jscc.yaml trains DT-JSCC at
# 4/16/64-QAM, two more RIB weights at 16-QAM and the analog classifier of the same channel uses (10,000 CIFAR-10
# training images x 5 epochs each, one thread per trial, 2 at a time), evaluates each on 2,000 test images and on
# 2,000 training-split images (modulation-order policy), merges into results/digital_jscc and writes the report.
#
#   bash scripts/digital_cpu.sh                           # about 20 minutes on 2 CPU cores
#   SEMCOM_DIGITAL_EPOCHS=20 bash scripts/digital_cpu.sh  # a longer schedule (resumes the finished trials)
set -euo pipefail
SEM=${SEMCOM:-.venv/bin/semcom}
OUT=${OUT:-results/digital_jscc}
SWEEP=${SWEEP_OUT:-runs/sweeps/digital_jscc}
$SEM sweep configs/sweeps/digital_jscc.yaml --out "$SWEEP" --results "$OUT" --workers 2 "$@"
mkdir -p "$OUT/train" "$OUT/checkpoints"
for r in "$SWEEP"/runs/*/; do
  n=$(basename "$r")
  cp "$r/summary.json" "$OUT/train/$n.summary.json"
  # (re)export only a checkpoint that trained on since its slim copy was made
  [ "$OUT/checkpoints/$n.ckpt" -nt "$r/checkpoints/last.ckpt" ] || $SEM export "$r/checkpoints/last.ckpt" "$OUT/checkpoints/$n.ckpt" --half > /dev/null
done
$SEM report digital_jscc "$OUT"
