#!/usr/bin/env bash
# The DLPS reproduction's GPU call (issue 5): the Fig. 3 seeds 2 and 3, the claim-(a) investigation
# runs (uniform in linear SNR; learning rate 3e-4), the training throughput benchmark on the GPU, and the
# evaluation of every new model and of the Fig. 4 set on the 10,000 CIFAR-10 test images.
#
#   bash scripts/dlps_gpu.sh OUT                 # on a GPU machine, from the repository root
#   SMOKE=1 DEVICE=cpu bash scripts/dlps_gpu.sh /tmp/out   # a minutes-long dry run on a CPU
#
# Needs the package importable (PYTHONPATH=src or installed) and the CIFAR-10 shards at $SEMCOM_CIFAR10.
# Writes OUT/dlps_gpu.tar.gz (collected/: slim checkpoints and training logs; eval/: JSONs; logs/), OUT/log.txt and
# OUT/bench_gpu.json.
set -euo pipefail
OUT=${1:?usage: dlps_gpu.sh OUT}
DEVICE=${DEVICE:-cuda}
ACC=$([ "$DEVICE" = cuda ] && echo gpu || echo cpu)
PAR=${PAR:-13}
WORK=$(mktemp -d)
PY=${PYTHON:-python3}
if [ "${SMOKE:-0}" = 1 ]; then
  TRAIN_EXTRA="train.epochs=1 data.limit_train=512 data.limit_val=64"; EVAL_EXTRA="--limit 100 --snr 0:20:10"; PAR=${PAR_SMOKE:-2}
  BENCH="--images 512 --epochs 1 --repeats 1"
else
  TRAIN_EXTRA=""; EVAL_EXTRA="--snr -5:25:1"; BENCH="--images 25600 --epochs 2 --repeats 2"
fi
EVAL="--channel awgn --channel rayleigh --csi perfect --csi pilot --structural-at 0,5,10,15,20 --no-plot --device $DEVICE --batch-size 2000"
mkdir -p "$OUT" "$WORK/logs"
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/log.txt"; }
log "device: $($PY -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu")')"
$PY -c "from semcom.data import build_dataset as b; b('cifar10', split='train'); b('cifar10', split='test')" 2>&1 | tail -2
log "decoded CIFAR-10"

jobs_list=()
for n in 2 3; do for m in dlps blps lvlps; do
  jobs_list+=("configs/dlps/fig3_k88_$m.yaml name=fig3_k88_${m}_seed$n train.seed=$n")
done; done
for m in dlps blps lvlps; do
  jobs_list+=("configs/dlps/fig3_k88_$m.yaml name=fig3x_lin_k88_$m sampler.distribution=uniform_linear")
  jobs_list+=("configs/dlps/fig3_k88_$m.yaml name=fig3x_lr3e-4_k88_$m train.lr=3.0e-4")
done
# Fig. 4's last dedicated model, when no committed checkpoint exists yet
[ -f results/dlps/checkpoints/fig4_k264_snr16dB.ckpt ] || jobs_list+=("configs/dlps/fig4_k264_snr16dB.yaml name=fig4_k264_snr16dB")
i=0
for j in "${jobs_list[@]}"; do
  name=$(echo "$j" | sed 's/.*name=\([^ ]*\).*/\1/')
  # one CPU thread per process: 13 processes with a thread per core each starve the GPU (measured: ~30 s
  # per epoch against 3-7 s with OMP_NUM_THREADS=1, 13 runs in parallel on one H100 and 16 cores)
  ( OMP_NUM_THREADS=1 $PY -m semcom.cli train $j train.accelerator=$ACC train.out_dir=$WORK/runs train.progress_bar=false $TRAIN_EXTRA \
      > "$WORK/logs/$name.log" 2>&1 && echo "[$(date +%T)] trained $name" >> "$OUT/log.txt" ) &
  i=$((i + 1))
  if [ $((i % PAR)) = 0 ]; then wait; fi
done
wait
log "trainings done"
$PY -m semcom report dlps "$WORK/collected" --collect "$WORK/runs" | tail -3
tar -C "$WORK" -czf "$OUT/train.tar.gz" collected logs
log "benchmark"
$PY benchmarks/train_throughput.py --device "$DEVICE" $BENCH --out "$OUT/bench_gpu.json" 2>&1 | tail -4 | tee -a "$OUT/log.txt" || log "benchmark failed"

new3=$(ls "$WORK"/collected/checkpoints/fig3_k88_*.ckpt)
newx=$(ls "$WORK"/collected/checkpoints/fig3x_*.ckpt)
$PY -m semcom.cli eval $new3 $EVAL $EVAL_EXTRA --out "$WORK/eval" --name fig3_seeds23 | tail -2
$PY -m semcom.cli eval $newx $EVAL $EVAL_EXTRA --out "$WORK/eval" --name fig3x | tail -2
$PY -m semcom.cli eval results/dlps/checkpoints/fig4_k264_*.ckpt $(ls "$WORK"/collected/checkpoints/fig4_*.ckpt 2>/dev/null) $EVAL $EVAL_EXTRA --out "$WORK/eval" --name fig4 | tail -2
# the CPU-evaluated Fig. 3 seeds 0 and 1 again on this device: shows how far device numerics move the figures
$PY -m semcom.cli eval results/dlps/checkpoints/fig3_k88_dlps.ckpt $EVAL $EVAL_EXTRA --out "$WORK/eval" --name fig3_dlps_seed0_on_gpu | tail -2
log "evaluations done"
tar -C "$WORK" -czf "$OUT/dlps_gpu.tar.gz" collected eval logs
cp "$OUT/log.txt" "$OUT/log_final.txt"
log "wrote $(du -h "$OUT/dlps_gpu.tar.gz" | cut -f1)"
