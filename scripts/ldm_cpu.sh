#!/usr/bin/env bash
# The LDM-receiver paper at CPU scale (issue 9): codec, denoiser and the matched-bandwidth DJSCC baselines, all trained on the
# six CIFAR-10 animal classes; evaluation in distribution (animal test images), out of distribution (vehicles,
# Kodak 64x64 crops), the t*/s ablation, the receiver benchmark and the report.
#   bash scripts/ldm_cpu.sh                  (about 2.5 CPU-hours; trainings skip what is already trained)
#   DEVICE=cuda bash scripts/ldm_cpu.sh      (evaluations and benchmark on a GPU)
set -euo pipefail
RUNS=${RUNS:-runs/ldm}
OUT=${OUT:-results/ldm}
DEVICE=${DEVICE:-cpu}
LIMIT=${LIMIT:-1000}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
semcom train configs/ldm/vae_animals.yaml train.out_dir=$RUNS --resume auto
semcom train configs/ldm/denoiser_animals.yaml train.out_dir=$RUNS model.codec=$RUNS/vae_animals/checkpoints/last.ckpt --resume auto
semcom train configs/ldm/djscc_animals_dlps.yaml train.out_dir=$RUNS --resume auto
semcom train configs/ldm/djscc_animals_snr10dB.yaml train.out_dir=$RUNS --resume auto
mkdir -p "$OUT/train"
for r in vae_animals denoiser_animals djscc_animals_dlps djscc_animals_snr10dB; do
  cp "$RUNS/$r/summary.json" "$OUT/train/$r.summary.json"
done
ck="--codec $RUNS/vae_animals/checkpoints/last.ckpt --denoiser $RUNS/denoiser_animals/checkpoints/last.ckpt"
dj="--djscc $RUNS/djscc_animals_dlps/checkpoints/last.ckpt --djscc $RUNS/djscc_animals_snr10dB/checkpoints/last.ckpt"
rx="--receiver ddim:1 --receiver ddim:10 --receiver ddim:auto --receiver none --receiver lmmse"
semcom ldm $ck $rx $dj --snr=-5:20:2.5 --classes animals --limit $LIMIT --device $DEVICE --out $OUT --name animals
semcom ldm $ck $rx $dj --snr=-5:20:2.5 --classes vehicles --limit $LIMIT --device $DEVICE --out $OUT --name vehicles
semcom ldm $ck $rx $dj --snr=-5:20:2.5 --dataset kodak --tile 64 --limit $((LIMIT / 4)) --device $DEVICE --out $OUT --name kodak64
pt=""; for f in 0.5 0.8 0.9 0.95 1.05 1.1 1.2 1.5; do pt="$pt --perturb t:$f --perturb s:$f"; done
semcom ldm $ck --receiver ddim:1 $pt --snr=-5,0,5,10,20 --classes animals --limit $((LIMIT / 2)) --device $DEVICE --out $OUT \
  --name ablation --no-plot
python benchmarks/ldm_receiver.py $ck --djscc $RUNS/djscc_animals_dlps/checkpoints/last.ckpt --device $DEVICE \
  --out $OUT/benchmark_$([ "$DEVICE" = cuda ] && echo gpu || echo cpu).json
semcom report ldm $OUT
