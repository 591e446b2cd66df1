#!/usr/bin/env bash
# Digital deep JSCC at CPU scale (issue 19, part): the sweep configs/sweeps/digital_jscc.yaml trains DT-JSCC at
# 4/16/64-QAM, two more RIB weights at 16-QAM and the analog classifier of the same channel uses (10,000 CIFAR-10
# training images x 5 epochs each, one thread per trial, 2 at a time), evaluates each on 2,000 test images and on
# 2,000 training-split images (modulation-order policy), merges into results/digital_jscc and writes the report.
#
#   bash scripts/digital_cpu.sh                           # about 30 minutes on 2 CPU cores
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
# the reconstruction pair again with each image's PSNR (paired intervals), and the SSCC baseline of the same 256
# channel uses (BPG's coder + 5G LDPC + QAM), both on the same 2,000 test images
C="$OUT/checkpoints"
$SEM eval "$C/dt_jscc_rec_16qam.ckpt" "$C/analog_jscc_rec_k256.ckpt" --snr 0:20:2 --channel awgn --channel rayleigh \
  --metrics psnr --limit 2000 --per-image --no-plot --out "$OUT" --name reconstruction
$SEM baseline --codec bpg --mod 4qam --mod 16qam --rate 1/2 --rate 3/4 --channel awgn --channel rayleigh \
  --channel-uses 256 --snr 0:20:2 --limit 2000 --no-plot --out "$OUT" --name sscc_k256
$SEM report digital_jscc "$OUT"
