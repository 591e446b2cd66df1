"""Sionna must not touch torch's global random state: a seeded training's initial weights are reproducible
across processes (two runs, or the ranks of a DDP run), and the channel draws still follow their own seeds."""

from __future__ import annotations

import json
import subprocess
import sys

import torch

SNIPPET = r'''
import json, sys, torch
import lightning as L
torch.manual_seed(0)
expected = torch.rand(3).tolist()
torch.manual_seed(0)
from semcom.channels.ofdm import OFDMGrid            # first import of Sionna happens in here
OFDMGrid(32, pilot_symbols="li2025", num_streams=4)
from semcom.channels.linklevel import LinkLevelMIMO
LinkLevelMIMO(seed=3)                                 # sets Sionna's seed
after = torch.rand(3).tolist()
from semcom.systems.mumimo import MUMIMOSemanticSystem
from semcom.channels.tr38901 import MUMIMODownlinkChannel
L.seed_everything(5, verbose=False)
s = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), 32, "djscc")
w = float(sum(p.detach().double().sum() for p in s.parameters()))
print(json.dumps({"expected": expected, "after": after, "weights": w}))
'''


def _run() -> dict:
    proc = subprocess.run([sys.executable, "-c", SNIPPET], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_sionna_leaves_the_global_torch_rng_alone_and_initial_weights_repeat_across_processes() -> None:
    a, b = _run(), _run()
    assert a["after"] == a["expected"]  # importing and seeding Sionna did not reseed torch's default generator
    assert a["weights"] == b["weights"]  # same seed, two processes: the same initial network


def test_seed_sionna_still_seeds_sionna_and_preserves_the_caller_state() -> None:
    from semcom.channels.linklevel import LinkLevelMIMO
    from semcom.channels.sionna_rng import seed_sionna

    torch.manual_seed(123)
    ref = torch.rand(2)
    torch.manual_seed(123)
    seed_sionna(11)
    LinkLevelMIMO(seed=3)
    assert torch.equal(torch.rand(2), ref)
    h1 = LinkLevelMIMO(seed=3).generate(2, generator=torch.Generator().manual_seed(5))
    h2 = LinkLevelMIMO(seed=3).generate(2, generator=torch.Generator().manual_seed(5))
    assert torch.equal(h1, h2)  # Sionna's own draws follow its seed
