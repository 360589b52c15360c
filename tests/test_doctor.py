"""`tanda doctor` / `python -m tanda_transforms --check` (issue 25, 4)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tanda_transforms import doctor
from tanda_transforms.cli import main


def test_doctor_reports_versions_and_capability_and_exits_0(capsys) -> None:
    import cv2
    import torch
    import torchvision

    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name, version in [("torch", torch.__version__), ("torchvision", torchvision.__version__),
                          ("opencv", cv2.__version__)]:
        assert any(line.startswith("ok") and name in line and version in line
                   for line in out.splitlines()), (name, out)
    assert torch.backends.cpu.get_cpu_capability() in out
    assert "numpy" in out and "albumentations" in out and "works here" in out


def _broken(message: str, real=doctor._import):
    def fake(name: str):
        if name == "torchvision":
            raise RuntimeError(message)
        return real(name)

    return fake


def test_doctor_names_a_torch_torchvision_mismatch_and_the_fix(monkeypatch, capsys) -> None:
    monkeypatch.setattr(doctor, "_import", _broken("operator torchvision::nms does not exist"))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "torchvision " in line[:25])
    assert line.startswith("FAIL") and "torchvision::nms does not exist" in line
    fix = next(line for line in out.splitlines() if "fix:" in line)
    assert "not built together" in fix and "--force-reinstall torch==" in fix
    assert doctor.CPU_INDEX in fix
    assert "skipped" in out and "not usable here: torchvision, policy failed" in out


def test_doctor_reports_any_other_import_failure_with_its_error(monkeypatch) -> None:
    monkeypatch.setattr(doctor, "_import", _broken("some other breakage"))
    checks = {check.name: check for check in doctor.diagnose()}
    assert not checks["torchvision"].ok
    assert "RuntimeError: some other breakage" in checks["torchvision"].detail
    assert checks["torch"].ok and checks["opencv"].ok


@pytest.mark.parametrize("argv", [["--check"], ["gallery"]])
def test_python_m_tanda_transforms(argv) -> None:
    result = subprocess.run([sys.executable, "-m", "tanda_transforms", *argv],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert ("works here" if argv == ["--check"] else "example") in result.stdout
