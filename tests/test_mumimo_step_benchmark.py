"""benchmarks/mumimo_step.py runs end to end on a tiny setting and writes the keys the issue asks for."""

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "mumimo_step.py"


def _module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("mumimo_step", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_step_benchmark_writes_rates_ratio_flops_and_peak(tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    assert _module().main(["--variants", "rzf", "--samples", "2", "--repeats", "1", "--steps", "1", "--threads", "1",
                           "--out", str(out)]) == 0
    r = json.loads(out.read_text())
    v = r["variants"]["rzf"]
    assert r["matmul_peak_gflops"] > 0 and v["images_per_s"] > 0 and v["images_per_s_reference"] > 0
    # a ratio of two timings: on a loaded machine the peak can be measured low, so only a loose bound is checked
    assert v["speedup"] > 0 and 0 < v["fraction_of_peak"] < 10
    assert v["flops_per_image"] <= v["flops_per_image_torch_raw"]  # the depthwise weight gradient corrected
    assert abs(sum(v["stage_share"].values()) - 1.0) < 0.02
    assert v["max_abs_recon_diff"] < 1e-4 and v["max_grad_diff_over_max_grad"] < 1e-3


def test_step_benchmark_refuses_bad_arguments(capsys) -> None:  # type: ignore[no-untyped-def]
    mod = _module()
    assert mod.main(["--variants", "fast"]) == 2
    assert mod.main(["--samples", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)


def test_depthwise_weight_gradient_flops_are_divided_by_groups() -> None:
    mod = _module()
    # depthwise 3x3 on [8, 16, 10, 10]: dense formula counts 16x the multiply-adds of the weight gradient
    go, x, w = [8, 16, 10, 10], [8, 16, 10, 10], [16, 1, 3, 3]
    n = mod.conv_backward_flops(go, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 16, [False, True, False],
                                [None, w, None])
    assert n == 2 * 8 * 16 * 100 * 9  # 2 FLOPs x batch x channels x output pixels x kernel taps
