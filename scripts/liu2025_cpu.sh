#!/usr/bin/env bash
# Liu et al. 2025, part 1 at CPU scale (issue 16): trains f_seg (U-Net on CamVid train), the semantic codecs
# through the SVD MIMO-OFDM uplink, the JSCC baseline and the adaptive precoding W for beta = 0.1, 1, 10,
# evaluates all of them on the 233 CamVid test frames (region 1, perfect and LS CSI, SNR -8..20 dB), measures
# Table II's modules and writes results/liu2025.
#
#   bash scripts/liu2025_cpu.sh        # about 2 hours on 2 CPU cores (two trainings at a time, one thread each)
# Finished trainings are skipped (their last.ckpt exists with the recipe's epochs); interrupted ones resume.
set -euo pipefail
SEM=${SEMCOM:-.venv/bin/semcom}
OUT=${OUT:-results/liu2025}
RUNS=${RUNS:-runs/liu2025}
C="$OUT/checkpoints"
mkdir -p "$C" "$OUT/train" "$RUNS"
export OMP_NUM_THREADS=1

train() {  # train RECIPE NAME [overrides...]: resumes an interrupted run, skips a finished one
  local recipe=$1 name=$2; shift 2
  local resume=()
  [ -f "$RUNS/$name/checkpoints/last.ckpt" ] && resume=(--resume auto)
  $SEM train "$recipe" train.progress_bar=false train.out_dir="$RUNS" "$@" "${resume[@]}" > "$RUNS/$name.log" 2>&1
  cp "$RUNS/$name/summary.json" "$OUT/train/$name.summary.json"
}
slim() { $SEM export "$RUNS/$1/checkpoints/last.ckpt" "$C/$1.ckpt" --half > /dev/null; }

train configs/liu2025/segmenter_camvid.yaml segmenter_camvid & train configs/liu2025/jscc_baseline.yaml jscc_baseline &
wait
slim segmenter_camvid; slim jscc_baseline
train configs/liu2025/semantic_codecs.yaml semantic_codecs model.segmenter="$C/segmenter_camvid.ckpt"
slim semantic_codecs
train configs/liu2025/precoding_beta0p1.yaml precoding_beta0p1 model.codecs="$C/semantic_codecs.ckpt" &
train configs/liu2025/precoding_beta1.yaml precoding_beta1 model.codecs="$C/semantic_codecs.ckpt" &
wait
train configs/liu2025/precoding_beta10.yaml precoding_beta10 model.codecs="$C/semantic_codecs.ckpt"
# W + f_Pre are 32.5 M parameters (65 MB in float16 each): kept under runs/, not committed
P=("$RUNS"/precoding_beta{0p1,1,10}/checkpoints/last.ckpt)
OMP_NUM_THREADS=2 $SEM liu2025 --semantic "$C/semantic_codecs.ckpt" --jscc "$C/jscc_baseline.ckpt" \
  --precoding "${P[0]}" --precoding "${P[1]}" --precoding "${P[2]}" --csi perfect --csi ls --snr -8:20:4 \
  --region 1 --per-image --grid-snr -8 --out "$OUT" --name test
OMP_NUM_THREADS=1 .venv/bin/python benchmarks/liu2025_modules.py --out results/benchmarks/liu2025_cpu.json > /dev/null
$SEM report liu2025 "$OUT"
