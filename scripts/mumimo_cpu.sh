#!/usr/bin/env bash
# Li et al. 2025 (MU-MIMO OFDM) at CPU scale (issue 7): the four variants and the ZF run of Fig. 10 on UMi, N_f = 32, trained on
# LIMIT_TRAIN CIFAR-10 images per epoch for EPOCHS epochs (the paper: 50,000 x 100 epochs, on a GPU) from a channel
# bank; evaluation on UMi/UMa/RMa test banks (other realizations), the Fig. 12 grids, Table III and the report.
#   bash scripts/mumimo_cpu.sh            (about 3.5 CPU-hours; trainings resume or skip what is done)
#   EPOCHS=100 LIMIT_TRAIN= DEVICE=cuda bash scripts/mumimo_cpu.sh      (the paper's schedule, on a GPU)
set -euo pipefail
EPOCHS=${EPOCHS:-6}
LIMIT_TRAIN=${LIMIT_TRAIN-10000}
RUNS=${RUNS:-runs/mumimo}
OUT=${OUT:-results/mumimo}
DEVICE=${DEVICE:-cpu}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
for s in umi uma rma; do
  [ -f banks/${s}_nf32/meta.json ] || semcom channels generate --scenario $s --nf 32 --n 4000 --seed 0 --out banks/${s}_nf32
  [ -f banks/${s}_nf32_test/meta.json ] || semcom channels generate --scenario $s --nf 32 --n 1000 --seed 1 --out banks/${s}_nf32_test
done
common=(channel.bank=banks/umi_nf32 train.epochs=$EPOCHS data.limit_val=500 train.out_dir=$RUNS)
[ -n "$LIMIT_TRAIN" ] && common+=(data.limit_train=$LIMIT_TRAIN)
for v in full no_pilot rzf djscc; do
  semcom train configs/mumimo/umi_nf32_full.yaml model.variant=$v name=umi_nf32_$v "${common[@]}" --resume auto
done
# Fig. 10: ZF (alpha = 0) in the loop; the run stops at the first non-finite loss, keeping the last good checkpoint
semcom train configs/mumimo/umi_nf32_zf.yaml "${common[@]}" train.epochs=3 --resume auto || echo "ZF run stopped (see $RUNS/umi_nf32_zf/stopped.json)"
mkdir -p $OUT/parts
for v in full no_pilot rzf djscc; do  # one evaluation per model (each may start as soon as its training ends)
  semcom mumimo $RUNS/umi_nf32_$v/checkpoints/last.ckpt --scenario umi --scenario uma --scenario rma --snr=-9:13:2 \
    --limit 1000 --device $DEVICE --out $OUT/parts --name eval_$v
done
semcom merge $OUT/parts/eval_full.json $OUT/parts/eval_no_pilot.json $OUT/parts/eval_rzf.json $OUT/parts/eval_djscc.json \
  --out $OUT --name eval_nf32
ck=(); for v in full no_pilot rzf djscc; do ck+=($RUNS/umi_nf32_$v/checkpoints/last.ckpt); done
semcom mumimo "${ck[@]}" --scenario umi --scenario rma --grid-only --grid-snr=-5,0,5 --out $OUT --name eval_nf32
semcom complexity --nf 32 --repeats 30 --out $OUT/complexity_cpu_nf32.json
semcom complexity --nf 128 --repeats 30 --out $OUT/complexity_cpu_nf128.json
semcom report mumimo $OUT --collect $RUNS
semcom report mumimo $OUT
