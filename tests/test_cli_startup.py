"""`tanda SUBCOMMAND --help` and path mistakes answer before torch is imported (issue 25, 4)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tanda_transforms import consistency
from tanda_transforms.evaluation import options

_RUN = ("import sys; from tanda_transforms.cli import main; status = main(sys.argv[1:]); "
        "print(status, 'torch' in sys.modules, file=sys.stderr)")


def _run(argv: list[str]) -> tuple[str, str, bool]:
    """Run ``tanda argv`` in a fresh interpreter: stdout, the error line, torch imported?"""
    result = subprocess.run([sys.executable, "-c", _RUN, *argv], capture_output=True, text=True,
                            timeout=120, check=False)
    *errors, last = result.stderr.strip().splitlines()
    status, torch_loaded = last.split()
    return status, result.stdout + "\n".join(errors), torch_loaded == "True"


@pytest.mark.parametrize("command", ["learn", "evaluate", "compare", "demo", "show", "apply",
                                     "gallery"])
def test_subcommand_help_imports_no_torch(command) -> None:
    status, text, torch_loaded = _run([command, "--help"])
    assert status == "0" and f"usage: tanda {command}" in text
    assert not torch_loaded


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["learn", "--data", "no/such/data.npy"], "data not found: no/such/data.npy"),
        (["learn", "--resume", "no/such.ckpt"], "checkpoint to resume not found"),
        (["learn", "--tfs", "no/such/tfs.json"], "TF list not found"),
        (["learn", "--set", "gamma=2"], "gamma must be in [0, 1]"),
        (["show", "no/such/policy.tanda"], "no gallery policy of that name"),
        (["show", "example", "--images", "no/such/folder"], "images not found"),
        (["apply", "example", "no/such/folder", "out"], "input folder not found"),
        (["apply", "ddsm", ".", "out", "--lesion-pool", "no/such.npz"], "--lesion-pool"),
        (["evaluate", "--dataset", "mnist", "--data", "no/such/mnist"], "data not found"),
    ],
)
def test_path_and_setting_mistakes_answer_before_torch(argv, message) -> None:
    status, text, torch_loaded = _run(argv)
    assert status == "2" and text.startswith("tanda: error: ") and message in text, text
    assert not torch_loaded


def test_evaluate_options_name_the_consistency_targets_of_the_library() -> None:
    assert options.CONSISTENCY_TARGETS == consistency.TARGETS
