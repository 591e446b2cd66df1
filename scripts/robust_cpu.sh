#!/usr/bin/env bash
# Robust deep JSCC survey reproduction at CPU scale: the sweep configs/sweeps/robust.yaml trains every model of
# results/robust and runs the six mismatch evaluations (merged into results/robust), then the report.
#
#   bash scripts/robust_cpu.sh                     # ~1 hour per 2 models on 2 CPU cores (short schedules, in the README)
#   bash scripts/robust_cpu.sh --workers 1         # extra arguments go to `semcom sweep` (launcher, workers, overrides)
#   SEMCOM_ROBUST_EPOCHS=20 SEMCOM_ROBUST_EPOCHS_CORE=20 bash scripts/robust_cpu.sh data.limit_train=null   # the recipes' full schedules
#
# Resumable: finished trials are skipped, an interrupted one continues from its last checkpoint.
set -euo pipefail
SEM=${SEMCOM:-.venv/bin/semcom}
OUT=${OUT:-results/robust}
SWEEP=${SWEEP_OUT:-runs/sweeps/robust}
$SEM sweep configs/sweeps/robust.yaml --out "$SWEEP" --results "$OUT" --workers 2 "$@"
# the training summaries beside the results (the checkpoints are too large to commit; `semcom export` slims them)
mkdir -p "$OUT/train"
for r in "$SWEEP"/runs/*/; do cp "$r/summary.json" "$OUT/train/$(basename "$r").summary.json"; done
$SEM report robust "$OUT"
