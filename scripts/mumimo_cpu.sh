#!/usr/bin/env bash
# Li et al. 2025 (MU-MIMO OFDM) at CPU scale (issues 7, 15): the four variants and the ZF run of Fig. 10 on UMi, N_f = 32,
# trained on LIMIT_TRAIN CIFAR-10 images per epoch (default: all 50,000, the paper's) for EPOCHS epochs (the paper: 100,
# on a GPU) from a channel bank; evaluation of 2,000 test images per scenario on UMi/UMa/RMa test banks (other
# realizations), the paired claims, the Fig. 12 grids, Table III and the report.
#   bash scripts/mumimo_cpu.sh      (about 3 CPU-hours at EPOCHS=3; trainings resume from their last epoch or skip)
#   EPOCHS=10 bash scripts/mumimo_cpu.sh                                  (continues the same runs to epoch 10)
#   EPOCHS=100 DEVICE=cuda bash scripts/mumimo_cpu.sh                     (the paper's schedule, on a GPU)
set -euo pipefail
EPOCHS=${EPOCHS:-3}
LIMIT_TRAIN=${LIMIT_TRAIN-}
LIMIT_TEST=${LIMIT_TEST:-2000}
RUNS=${RUNS:-runs/mumimo}
OUT=${OUT:-results/mumimo}
DEVICE=${DEVICE:-cpu}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
for s in umi uma rma; do
  [ -f banks/${s}_nf32/meta.json ] || semcom channels generate --scenario $s --nf 32 --n 4000 --seed 0 --out banks/${s}_nf32
  [ -f banks/${s}_nf32_test/meta.json ] || semcom channels generate --scenario $s --nf 32 --n 1000 --seed 1 --out banks/${s}_nf32_test
done
common=(channel.bank=banks/umi_nf32 train.epochs=$EPOCHS data.limit_val=500 train.out_dir=$RUNS train.progress_bar=false train.log_every_n_steps=5)
[ -n "$LIMIT_TRAIN" ] && common+=(data.limit_train=$LIMIT_TRAIN)
resume() {  # continue a run: its own last checkpoint, else the committed resumable one (a fresh clone), else start
  if [ -f $RUNS/$1/checkpoints/last.ckpt ] || [ ! -f $OUT/resume/$1.ckpt ]; then echo auto; else echo $OUT/resume/$1.ckpt; fi
}
keep() { mkdir -p $OUT/resume && cp $RUNS/$1/checkpoints/last.ckpt $OUT/resume/$1.ckpt.tmp && mv $OUT/resume/$1.ckpt.tmp $OUT/resume/$1.ckpt; }
for v in full no_pilot rzf djscc; do
  semcom train configs/mumimo/umi_nf32_full.yaml model.variant=$v name=umi_nf32_$v "${common[@]}" --resume $(resume umi_nf32_$v)
  keep umi_nf32_$v
done
# Fig. 10: ZF (alpha = 0) in the loop; the run stops at the first non-finite loss, keeping the last good checkpoint
semcom train configs/mumimo/umi_nf32_zf.yaml "${common[@]}" --resume $(resume umi_nf32_zf) || echo "ZF run stopped (see $RUNS/umi_nf32_zf/stopped.json)"
keep umi_nf32_zf
mkdir -p $OUT/parts
for v in full no_pilot rzf djscc; do  # one evaluation per model (each may start as soon as its training ends)
  semcom mumimo $RUNS/umi_nf32_$v/checkpoints/last.ckpt --scenario umi --scenario uma --scenario rma --snr=-9:13:2 \
    --limit $LIMIT_TEST --device $DEVICE --out $OUT/parts --name eval_$v
done
semcom merge $OUT/parts/eval_full.json $OUT/parts/eval_no_pilot.json $OUT/parts/eval_rzf.json $OUT/parts/eval_djscc.json \
  --out $OUT --name eval_nf32
ck=(); for v in full no_pilot rzf djscc; do ck+=($RUNS/umi_nf32_$v/checkpoints/last.ckpt); done
semcom mumimo "${ck[@]}" --scenario umi --scenario rma --grid-only --grid-snr=-5,0,5 --out $OUT --name eval_nf32
semcom complexity --nf 32 --repeats 30 --out $OUT/complexity_cpu_nf32.json
semcom complexity --nf 128 --repeats 30 --out $OUT/complexity_cpu_nf128.json
semcom export $RUNS/umi_nf32_full/checkpoints/last.ckpt $OUT/checkpoints/umi_nf32_full.ckpt  # slim: the golden test's
semcom report mumimo $OUT --collect $RUNS
semcom report mumimo $OUT
