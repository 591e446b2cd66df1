#!/usr/bin/env bash
# The pretrained zoo (issue 21): trains each configs/zoo recipe to convergence (train.converge; at most 1,000
# epochs), one training at a time at one thread, resuming from its own last checkpoint, else from the committed
# resumable checkpoint results/zoo/resume/NAME.ckpt (so a fresh clone continues exactly where the last one
# stopped). After each epoch-end checkpoint the resumable copy can be refreshed with `bash scripts/zoo_cpu.sh keep`.
#   bash scripts/zoo_cpu.sh                          # every model in order (many CPU-hours; resumable)
#   MODELS="bourtsoulatze2019_cifar10_k512_awgn_snr0-20" bash scripts/zoo_cpu.sh
set -euo pipefail
SEM=${SEMCOM:-.venv/bin/semcom}
RUNS=${RUNS:-runs/zoo}
OUT=${OUT:-results/zoo}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
ALL="bourtsoulatze2019_cifar10_k512_awgn_snr0-20 bourtsoulatze2019_cifar10_k256_awgn_snr0-20
bourtsoulatze2019_cifar10_k512_awgn_snr1 bourtsoulatze2019_cifar10_k512_awgn_snr4 bourtsoulatze2019_cifar10_k512_awgn_snr7
bourtsoulatze2019_cifar10_k512_awgn_snr13 bourtsoulatze2019_cifar10_k512_awgn_snr19 xu2022_cifar10_k512_awgn_snr0-20
bourtsoulatze2019_cifar10_k512_rayleigh_snr0-20 xu2022_cifar10_k512_rayleigh_snr0-20
xu2022_cifar10_k512_w64_awgn_snr0-20 xu2022_cifar10_k512_w64_rayleigh_snr0-20"
MODELS=${MODELS:-$ALL}
resume() {  # its own last checkpoint, else the committed resumable one, else a fresh start
  if [ -f "$RUNS/$1/checkpoints/last.ckpt" ] || [ ! -f "$OUT/resume/$1.ckpt" ]; then echo auto; else echo "$OUT/resume/$1.ckpt"; fi
}
keep() {  # the resumable checkpoint and the logged metrics (a resumed run's earlier epochs: metrics.previous.csv)
  [ -f "$RUNS/$1/checkpoints/last.ckpt" ] || return 0
  mkdir -p "$OUT/resume" "$OUT/train"
  cp "$RUNS/$1/checkpoints/last.ckpt" "$OUT/resume/$1.ckpt.tmp" && mv "$OUT/resume/$1.ckpt.tmp" "$OUT/resume/$1.ckpt"
  for f in metrics metrics.previous; do
    [ -f "$RUNS/$1/logs/$f.csv" ] && cp "$RUNS/$1/logs/$f.csv" "$OUT/train/$1.$f.csv"
  done
  return 0
}
if [ "${1:-}" = keep ]; then for n in $MODELS; do keep "$n"; done; exit 0; fi  # (while a training runs)
seed_logs() {  # a fresh clone resuming from the committed checkpoint: the committed metrics become the run's earlier rows
  [ ! -d "$RUNS/$1" ] && [ -f "$OUT/resume/$1.ckpt" ] || return 0
  mkdir -p "$RUNS/$1/logs"
  .venv/bin/python - "$OUT/train/$1.metrics.previous.csv" "$OUT/train/$1.metrics.csv" "$RUNS/$1/logs/metrics.csv" <<'PY'
import csv, sys
rows, fields = [], []
for path in sys.argv[1:3]:
    try:
        with open(path, newline="") as f:
            r = csv.DictReader(f)
            fields += [k for k in (r.fieldnames or []) if k not in fields]
            rows += list(r)
    except FileNotFoundError:
        pass
if rows:
    with open(sys.argv[3], "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
PY
}
for n in $MODELS; do
  seed_logs "$n"
  $SEM train "configs/zoo/$n.yaml" train.progress_bar=false train.out_dir="$RUNS" --resume "$(resume "$n")"
  keep "$n"
  cp "$RUNS/$n/summary.json" "$OUT/train/$n.summary.json"  # the finished run's summary (metrics.csv merged)
  rm -f "$OUT/train/$n.metrics.previous.csv"
done
