#!/usr/bin/env bash
# Robust deep JSCC survey reproduction at CPU scale: trains the models of results/robust and
# runs the mismatch evaluations, then writes the report.
#
#   bash scripts/robust_cpu.sh            # ~1 hour on 2 CPU cores (short schedules, stated in the README)
#   EPOCHS=20 LIMIT_TRAIN= bash scripts/robust_cpu.sh   # the recipes' full schedules (GPU advised)
#
# Short schedule: the first LIMIT_TRAIN CIFAR-10 training images (class-balanced), EPOCHS epochs.
set -euo pipefail
EPOCHS=${EPOCHS:-5}
EPOCHS_CORE=${EPOCHS_CORE:-15}  # the eight models of the ADJSCC comparison (committed: 5 epochs, resumed exactly to 15)
LIMIT_TRAIN=${LIMIT_TRAIN-10000}
SEM=${SEMCOM:-.venv/bin/semcom}
RUNS=${RUNS:-runs/robust}
OUT=${OUT:-results/robust}
EVAL_LIMIT=${EVAL_LIMIT:-2000}
short="train.progress_bar=false train.out_dir=$RUNS data.limit_val=500"
[ -n "$LIMIT_TRAIN" ] && short="$short data.limit_train=$LIMIT_TRAIN"
train() { $SEM train "$@" $short $(echo "$@" | grep -q "train.epochs=" || echo "train.epochs=$EPOCHS") > /dev/null; echo "trained $(echo "$@" | sed 's/.*name=\([^ ]*\).*/\1/')"; }

# (1) ADJSCC vs SNR-dedicated DJSCC (Xu et al. 2022), k/n = 1/6, AWGN; the survey's mixture model; FiLM + pilots
core="train.epochs=$EPOCHS_CORE"
for s in 1 4 7 13 19; do train configs/robust/djscc_awgn_dedicated.yaml sampler.snr_db=$s name=djscc_k512_snr${s}dB $core; done
train configs/robust/djscc_awgn_mixture.yaml name=djscc_k512_mixture $core
train configs/robust/adjscc_awgn.yaml model.width=64 train.lr=1.0e-3 name=adjscc_k512_w64 $core
train configs/robust/djscc_awgn_film.yaml name=djscc_k512_film_pilot $core
# the training-seed spread of the comparison: other seeds of the 7 dB-dedicated and the mixture model
for s in 1 2 3; do train configs/robust/djscc_awgn_dedicated.yaml sampler.snr_db=7 name=djscc_k512_snr7dB_seed$s train.seed=$s $core; done
for s in 1 2; do train configs/robust/djscc_awgn_mixture.yaml name=djscc_k512_mixture_seed$s train.seed=$s $core; done
# (2) classification: task only, joint (lambda 0.5), reconstruction only (head as a probe)
for lam in 0.0 0.5 1.0; do train configs/robust/classify_joint.yaml objective.lam=$lam name=cls_k64_lam$lam; done
# (3) robust training at 10 dB: plain, KL posterior consistency, adversarial
train configs/robust/robust_kl.yaml robust.method=none name=robust_plain_10dB
train configs/robust/robust_kl.yaml robust.method=kl robust.beta=1.0 name=robust_kl_10dB
train configs/robust/robust_kl.yaml robust.method=kl robust.beta=0.001 name=robust_kl_beta1e-3_10dB
train configs/robust/robust_kl.yaml robust.method=adversarial robust.eps=0.1 robust.steps=3 name=robust_adv_10dB

mkdir -p "$OUT/checkpoints"
for r in "$RUNS"/*/; do n=$(basename "$r"); $SEM export "$r/checkpoints/last.ckpt" "$OUT/checkpoints/$n.ckpt" > /dev/null; \
  mkdir -p "$OUT/train"; cp "$r/summary.json" "$OUT/train/$n.summary.json"; done
C=$OUT/checkpoints
$SEM mismatch $C/djscc_k512_snr{1,4,7,13,19}dB.ckpt $C/djscc_k512_mixture.ckpt $C/adjscc_k512_w64.ckpt \
  $C/djscc_k512_film_pilot.ckpt --snr 0:20:1 --channel awgn --metrics psnr,ssim --limit $EVAL_LIMIT --out "$OUT" --name adjscc_vs_dedicated
$SEM mismatch $C/djscc_k512_snr7dB_seed{1,2,3}.ckpt $C/djscc_k512_mixture_seed{1,2}.ckpt --snr 0:20:1 --channel awgn \
  --metrics psnr --limit $EVAL_LIMIT --out "$OUT" --name seed_spread
$SEM mismatch $C/djscc_k512_film_pilot.ckpt $C/adjscc_k512_w64.ckpt --snr 0:20:2 --channel awgn --channel rayleigh \
  --metrics psnr --snr-source pilot --limit $EVAL_LIMIT --out "$OUT" --name pilot_snr
$SEM mismatch $C/djscc_k512_film_pilot.ckpt $C/adjscc_k512_w64.ckpt --snr 0:20:2 --channel awgn --channel rayleigh \
  --metrics psnr --snr-source true --limit $EVAL_LIMIT --out "$OUT" --name true_snr
$SEM mismatch $C/cls_k64_lam{0.0,0.5,1.0}.ckpt --snr 0:20:2 --channel awgn --channel rayleigh --metrics psnr \
  --limit $EVAL_LIMIT --out "$OUT" --name classification
$SEM mismatch $C/robust_{plain,kl,kl_beta1e-3,adv}_10dB.ckpt --snr 0:20:2 --channel awgn --channel rayleigh --csi perfect --csi pilot \
  --metrics psnr,ssim --limit $EVAL_LIMIT --out "$OUT" --name robust_training
.venv/bin/semcom report robust "$OUT"
