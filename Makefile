# semcom: `make demo` and `make test` work on a fresh clone (they create or reuse .venv).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# the CPU wheel on this project's machines; a looser torch requirement pulls a CUDA build
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.semcom-installed

.PHONY: install demo test test-all test-slow lint typecheck bench golden reproduce-dlps reproduce-ldm reproduce-mumimo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Train DLPS, BLPS, LvLPS and a dedicated model on the embedded CIFAR-10 subset, plot PSNR vs SNR.
demo: install
	$(BIN)/semcom demo --out demo_out

## The default test run (slow tests deselected), after the linter and the type checker.
test: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

## ruff (lint) and mypy, configured in pyproject.toml.
lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

typecheck: lint

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

## DLPS paper (the DLPS paper) Fig. 3 / Fig. 4: evaluate the committed checkpoints, then the report.
DEVICE ?= cpu
DLPS_EVAL = --snr -5:25:1 --channel awgn --channel rayleigh --csi perfect --csi pilot --structural-at 0,5,10,15,20 --no-plot --device $(DEVICE)
DLPS_CKPT = results/dlps/checkpoints

# The evaluation parts as committed (batch size fixes the fading-noise realization), then merge + report.
reproduce-dlps: install
	$(BIN)/semcom eval $(foreach m,blps blps_seed1 dlps dlps_seed1 lvlps lvlps_seed1,$(DLPS_CKPT)/fig3_k88_$(m).ckpt) $(DLPS_EVAL) --batch-size 500 --out results/dlps/parts --name fig3_seeds01
	$(BIN)/semcom eval $(foreach m,blps dlps lvlps,$(DLPS_CKPT)/fig3_k88_$(m)_seed2.ckpt $(DLPS_CKPT)/fig3_k88_$(m)_seed3.ckpt) $(DLPS_EVAL) --batch-size 2000 --out results/dlps/parts --name fig3_seeds23
	$(BIN)/semcom eval $(sort $(wildcard $(DLPS_CKPT)/fig3x_*.ckpt)) $(DLPS_EVAL) --batch-size 2000 --out results/dlps/parts --name fig3x
	$(BIN)/semcom eval $(sort $(wildcard $(DLPS_CKPT)/fig4_k264_*.ckpt)) $(DLPS_EVAL) --batch-size 2000 --out results/dlps --name fig4
	$(BIN)/semcom merge results/dlps/parts/fig3_seeds01.json results/dlps/parts/fig3_seeds23.json --out results/dlps --name fig3
	$(BIN)/semcom report dlps results/dlps

# the LDM-receiver paper (issue 9): trainings (skipped where done), evaluations, ablation, benchmark, report
reproduce-ldm: install
	PATH=$(abspath $(BIN)):$$PATH bash scripts/ldm_cpu.sh

# Li et al. 2025, MU-MIMO OFDM (issue 7): channel banks, trainings (resumed where done), evaluations, Table III, report
reproduce-mumimo: install
	PATH=$(abspath $(BIN)):$$PATH bash scripts/mumimo_cpu.sh
