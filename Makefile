# semcom: `make demo` and `make test` work on a fresh clone (they create or reuse .venv).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# the CPU wheel on this project's machines; a looser torch requirement pulls a CUDA build
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.semcom-installed

.PHONY: install demo test test-all test-slow bench golden reproduce-dlps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Train DLPS, BLPS, LvLPS and a dedicated model on the embedded CIFAR-10 subset, plot PSNR vs SNR.
demo: install
	$(BIN)/semcom demo --out demo_out

## The default test run (slow tests deselected).
test: install
	$(BIN)/python -m pytest -q

## Only the tests marked slow.
test-slow: install
	$(BIN)/python -m pytest -q -m slow

test-all: install
	$(BIN)/python -m pytest -q -m "slow or not slow"

## Training-step throughput: semcom's Lightning module against a bare PyTorch loop.
bench: install
	$(BIN)/python benchmarks/train_throughput.py

## Regenerate the golden evaluation JSON from the committed tiny checkpoint (on purpose only).
golden: install
	$(BIN)/python -m pytest -q tests/test_golden.py --regen-golden

clean:
	rm -rf demo_out runs .pytest_cache

## DLPS paper (seed 000) Fig. 3 / Fig. 4: evaluate the committed checkpoints, then the report.
DLPS_EVAL = --snr -5:25:1 --channel awgn --channel rayleigh --csi perfect --csi pilot --structural-at 0,5,10,15,20 --out results/dlps --no-plot
reproduce-dlps: install
	$(BIN)/semcom eval $(sort $(wildcard results/dlps/checkpoints/fig3_k88_*.ckpt)) $(DLPS_EVAL) --name fig3
	$(BIN)/semcom eval $(sort $(wildcard results/dlps/checkpoints/fig4_k264_*.ckpt)) $(DLPS_EVAL) --name fig4
	$(BIN)/semcom eval results/dlps/checkpoints/fig4_k264_dlps.ckpt --dataset embedded --split train --snr 10 --metrics psnr --out results/dlps --name check_dlps_10dB_500 --no-plot
	$(BIN)/python -m semcom.reports.dlps report results/dlps
