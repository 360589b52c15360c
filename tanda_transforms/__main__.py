"""``python -m tanda_transforms --check``: the install check (``tanda doctor``).

``python -m tanda_transforms`` runs the ``tanda`` command with its arguments; ``--check``
alone is ``tanda doctor``, for an install whose ``tanda`` script is not on the PATH.
"""

import sys

from tanda_transforms.cli import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    sys.exit(main(["doctor"] if argv == ["--check"] else argv))
