"""``tanda doctor``: check that the install works and name what to fix when it does not.

The commonest broken install is a torch and a torchvision that were not built together (a CPU
torch from PyTorch's index and a torchvision from PyPI, or one of the two upgraded alone):
``import torchvision`` then fails with ``RuntimeError: operator torchvision::nms does not
exist``, far from where the user made the mistake. This module imports each dependency in
turn, reports its version (and the CPU capability torch and OpenCV dispatch to), runs a
gallery policy on a small image, and for each failure prints one line saying what to run.

Examples
--------
>>> from tanda_transforms.doctor import diagnose
>>> checks = diagnose()
>>> [check.name for check in checks][:3]
['python', 'numpy', 'torch']
>>> all(check.ok for check in checks)
True
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import platform
import sys
from collections.abc import Callable

__all__ = ["Check", "diagnose", "report", "run"]

#: Where CPU-only wheels of torch and torchvision come from (the README's install route).
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
_MISMATCH = "torchvision::nms does not exist"


@dataclasses.dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it works, what it found, the fix."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def _import(name: str):
    """``importlib.import_module`` (a seam: the tests simulate a broken install through it)."""
    return importlib.import_module(name)


def _installed(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _check_python() -> Check:
    return Check("python", True, f"{platform.python_version()} on {platform.system()} "
                 f"{platform.machine()}")


def _check_numpy() -> Check:
    numpy = _import("numpy")
    return Check("numpy", True, numpy.__version__)


def _check_torch() -> Check:
    torch = _import("torch")
    cuda = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU-only build"
    gpu = "GPU available" if torch.cuda.is_available() else "no GPU"
    capability = torch.backends.cpu.get_cpu_capability()
    return Check("torch", True, f"{torch.__version__} ({cuda}, {gpu}; CPU kernels: {capability}, "
                 f"{torch.get_num_threads()} threads)")


def _mismatch_fix() -> str:
    torch_version = _installed("torch").split("+")[0]
    needs = [r for r in importlib.metadata.requires("torchvision") or [] if r.startswith("torch ")]
    said = f" (torchvision {_installed('torchvision')} declares {needs[0]})" if needs else ""
    return (f"torch {_installed('torch')} and torchvision {_installed('torchvision')} were not "
            f"built together{said}: reinstall them as a pair from one index, e.g. "
            f"pip install --force-reinstall torch=={torch_version} torchvision "
            f"--index-url {CPU_INDEX}   (or the CUDA index of your torch)")


def _check_torchvision() -> Check:
    try:
        torchvision = _import("torchvision")
    except RuntimeError as err:
        if _MISMATCH not in str(err):
            raise
        return Check("torchvision", False, f"import fails: {err}", _mismatch_fix())
    return Check("torchvision", True, torchvision.__version__)


def _check_opencv() -> Check:
    cv2 = _import("cv2")
    features = cv2.getCPUFeaturesLine()
    return Check("opencv", True, f"{cv2.__version__} (CPU features, * = dispatched: {features})")


def _check_albumentations() -> Check:
    albumentations = _import("albumentations")
    return Check("albumentations", True, albumentations.__version__)


def _check_policy() -> Check:
    """Apply the ``example`` gallery policy to a small image, per image and batched."""
    numpy, torch = _import("numpy"), _import("torch")
    from tanda_transforms.policy import TANDAPolicy

    policy = TANDAPolicy.load("example", seed=0)
    image = numpy.zeros((16, 16), numpy.uint8)
    out = policy(image)
    batch = policy.batched(seed=0)(torch.zeros(2, 1, 16, 16, dtype=torch.uint8))
    return Check("policy", True, f"example policy applied: per image {out.shape}, batched "
                 f"{tuple(batch.shape)}")


_CHECKS: tuple[tuple[str, Callable[[], Check], str], ...] = (
    ("python", _check_python, ""),
    ("numpy", _check_numpy, "pip install numpy"),
    ("torch", _check_torch, f"pip install torch --index-url {CPU_INDEX}   (CPU-only wheel)"),
    ("torchvision", _check_torchvision, "pip install torchvision from the index your torch "
     "came from"),
    ("opencv", _check_opencv, "pip install opencv-python-headless"),
    ("albumentations", _check_albumentations, "pip install 'albumentations>=2.0.8,<2.1'"),
    ("policy", _check_policy, "run `tanda doctor` again after the fixes above; if this line "
     "alone fails, report it with this output"),
)


def diagnose() -> list[Check]:
    """Run every check; a check that raises is reported as failed with its error.

    Returns
    -------
    list[Check]
        One per dependency, in order, then the policy check (skipped while an earlier check
        failed: it needs them all).
    """
    checks: list[Check] = []
    for name, check, fix in _CHECKS:
        if name == "policy" and not all(c.ok for c in checks):
            checks.append(Check(name, False, "skipped: fix the lines above first"))
            continue
        try:
            checks.append(check())
        except Exception as err:  # noqa: BLE001 - a doctor reports every failure, whatever it is
            message = " ".join(f"{type(err).__name__}: {err}".split())
            checks.append(Check(name, False, f"import fails: {message}"[:300], fix))
    return checks


def report(checks: list[Check]) -> str:
    """The checks as lines ``ok   name  detail`` / ``FAIL name  detail`` + ``fix: ...``.

    Examples
    --------
    >>> print(report([Check("torch", True, "2.14.1"), Check("opencv", False, "missing", "pip")]))
    ok    torch           2.14.1
    FAIL  opencv          missing
          fix: pip
    """
    lines = []
    for check in checks:
        lines.append(f"{'ok' if check.ok else 'FAIL':<5} {check.name:<15} {check.detail}")
        if not check.ok and check.fix:
            lines.append(f"{'':<5} fix: {check.fix}")
    return "\n".join(lines)


def run() -> int:
    """Print the report and a verdict; 0 if everything works, 1 otherwise."""
    checks = diagnose()
    print(report(checks))
    failed = [check.name for check in checks if not check.ok]
    if failed:
        print(f"tanda-transforms is not usable here: {', '.join(failed)} failed (fixes above)")
        return 1
    from tanda_transforms import __version__

    print(f"tanda-transforms {__version__} works here ({sys.executable})")
    return 0
