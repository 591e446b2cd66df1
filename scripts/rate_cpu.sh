#!/usr/bin/env bash
# Rate-adaptive deep JSCC at CPU scale (issue 19, part 3): trains the variable-length model and the five fixed-rate
# deep JSCC models (configs/sweeps/rate_adaptive.yaml, 750,000 image passes each), then the learned rate policies
# from the variable-length model (configs/sweeps/rate_policy.yaml, 250,000 more each), evaluates all of them with
# `semcom rate` on 2,000 CIFAR-10 test images over SNR 0-20 dB (AWGN) and writes results/rate_adaptive.
#
#   bash scripts/rate_cpu.sh                     # about 40 minutes on 2 CPU cores (2 trainings at a time)
#   SEMCOM_RATE_EPOCHS=30 bash scripts/rate_cpu.sh   # a longer schedule (the finished trials resume)
set -euo pipefail
SEM=${SEMCOM:-.venv/bin/semcom}
OUT=${OUT:-results/rate_adaptive}
LIMIT=${LIMIT:-2000}
A=${SWEEP_OUT:-runs/sweeps/rate_adaptive}
P=${POLICY_OUT:-runs/sweeps/rate_policy}
$SEM sweep configs/sweeps/rate_adaptive.yaml --out "$A" --workers 2
SEMCOM_RATE_BACKBONE="$A/runs/zhang2023_padc_k512/checkpoints/last.ckpt" \
  $SEM sweep configs/sweeps/rate_policy.yaml --out "$P" --workers 2
mkdir -p "$OUT/train" "$OUT/checkpoints"
for r in "$A"/runs/*/ "$P"/runs/*/; do
  n=$(basename "$r")
  cp "$r/summary.json" "$OUT/train/$n.summary.json"
  [ "$OUT/checkpoints/$n.ckpt" -nt "$r/checkpoints/last.ckpt" ] || $SEM export "$r/checkpoints/last.ckpt" "$OUT/checkpoints/$n.ckpt" --half > /dev/null
done
C="$OUT/checkpoints"
OMP_NUM_THREADS=2 $SEM rate "$C/zhang2023_padc_k512.ckpt" "$C"/yang2022_rate_k512_lam*.ckpt "$C"/djscc_film_k{256,320,384,448,512}.ckpt \
  --snr 0:20:2 --cr 0.1,0.2,0.3,0.4,0.5,0.625,0.75,0.875,1 --targets 20:28:1 --limit "$LIMIT" --out "$OUT" --name test
# the seed-to-seed spread: two dedicated models trained again with another seed
OMP_NUM_THREADS=2 $SEM rate "$C"/djscc_film_k320.ckpt "$C"/djscc_film_k320_seed1.ckpt "$C"/djscc_film_k384.ckpt \
  "$C"/djscc_film_k384_seed1.ckpt --snr 0:20:2 --limit "$LIMIT" --out "$OUT" --name seeds --no-plot > /dev/null
$SEM report rate_adaptive "$OUT"
