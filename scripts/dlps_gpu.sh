#!/usr/bin/env bash
# The DLPS reproduction on a GPU machine: the Fig. 3 grid (3 samplers x 4 seeds) and the claim-(a) investigation
# runs as two sweeps (configs/sweeps/dlps_fig3{,x}.yaml: trained in parallel, one CPU thread per process, every
# trial evaluated on the 10,000 CIFAR-10 test images and merged), the training throughput benchmark on the GPU,
# and the evaluation of the Fig. 4 set.
#
#   bash scripts/dlps_gpu.sh OUT                          # on a GPU machine, from the repository root
#   SMOKE=1 DEVICE=cpu bash scripts/dlps_gpu.sh /tmp/out  # a minutes-long dry run on a CPU
#
# Needs the package importable (PYTHONPATH=src or installed) and the CIFAR-10 shards at $SEMCOM_CIFAR10.
# Writes into OUT what results/dlps holds: fig3.json, parts/fig3x.json, fig4.json (merged results), checkpoints/
# (slim), train/ (summaries and logs), README.md (the report), plus the sweeps' trial tables (*.sweep.json),
# bench_gpu.json, log.txt and all of it as dlps_gpu.tar.gz.
set -euo pipefail
OUT=${1:?usage: dlps_gpu.sh OUT}
DEVICE=${DEVICE:-cuda}
PAR=${PAR:-18}
WORK=$(mktemp -d)
PY=${PYTHON:-python3}
# one CPU thread per process: 13 processes with a thread per core each starve the GPU (measured: ~30 s per epoch
# against 3-7 s with OMP_NUM_THREADS=1, 13 runs in parallel on one H100 and 16 cores); the sweep sets it per trial
if [ "${SMOKE:-0}" = 1 ]; then
  EXTRA="train.epochs=1 data.limit_train=512 data.limit_val=64"; EVAL_EXTRA="--limit 100 --snr 0:20:10"; PAR=${PAR_SMOKE:-2}
  BENCH="--images 512 --epochs 1 --repeats 1"; export SEMCOM_EVAL_LIMIT=100
else
  EXTRA=""; EVAL_EXTRA="--snr -5:25:1"; BENCH="--images 25600 --epochs 2 --repeats 2"
fi
export SEMCOM_DEVICE=$DEVICE
GPUS=$([ "$DEVICE" = cuda ] && echo "--gpus 0" || true)
mkdir -p "$OUT"
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/log.txt"; }
log "device: $($PY -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu")')"
$PY -c "from semcom.data import build_dataset as b; b('cifar10', split='train'); b('cifar10', split='test')" 2>&1 | tail -2
for s in dlps_fig3 dlps_fig3x; do
  $PY -m semcom sweep configs/sweeps/$s.yaml --workers "$PAR" $GPUS --out "$WORK/$s" --results "$OUT" $EXTRA 2>&1 \
    | tee -a "$OUT/log.txt" | tail -3 || log "sweep $s: some trials failed (see $OUT/log.txt)"
done
log "sweeps done"
log "benchmark"
$PY benchmarks/train_throughput.py --device "$DEVICE" $BENCH --out "$OUT/bench_gpu.json" 2>&1 | tail -4 | tee -a "$OUT/log.txt" || log "benchmark failed"
$PY -m semcom eval results/dlps/checkpoints/fig4_k264_*.ckpt --channel awgn --channel rayleigh --csi perfect --csi pilot \
  --structural-at 0,5,10,15,20 --no-plot --device "$DEVICE" --batch-size 2000 $EVAL_EXTRA --out "$OUT" --name fig4 | tail -2
# slim checkpoints and training logs beside the results, the investigation in parts/, the report
mkdir -p "$OUT/parts" && mv "$OUT"/fig3x.* "$OUT/parts/" 2>/dev/null || true
for s in dlps_fig3 dlps_fig3x; do
  cp "$WORK/$s/sweep.json" "$OUT/$s.sweep.json"
  $PY -m semcom report dlps "$OUT" --collect "$WORK/$s/runs" | tail -1
done
tar -C "$OUT" -czf "$WORK/dlps_gpu.tar.gz" . && mv "$WORK/dlps_gpu.tar.gz" "$OUT/"
log "wrote $(du -h "$OUT/dlps_gpu.tar.gz" | cut -f1)"
