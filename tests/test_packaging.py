"""What a wheel ships besides code: the py.typed marker (PEP 561)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path


def test_package_is_marked_typed_and_ships_the_marker() -> None:
    assert resources.files("tanda_transforms").joinpath("py.typed").is_file()
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    # tomllib is Python >= 3.11 and the package supports 3.10: read the one line directly
    package_data = re.search(r"^tanda_transforms = \[(.*)\]$", pyproject, re.MULTILINE)
    assert package_data is not None and '"py.typed"' in package_data.group(1)
