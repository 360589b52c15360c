"""Limits shared by the policy file, the generators and LearnConfig (no torch).

Examples
--------
>>> from tanda_transforms._limits import MAX_HIDDEN_SIZE, MAX_SEQ_LEN
>>> MAX_SEQ_LEN, MAX_HIDDEN_SIZE
(1000, 4096)
"""

__all__ = ["MAX_SEQ_LEN", "MAX_HIDDEN_SIZE"]

#: The longest TF sequence a policy (and its file) may have.
MAX_SEQ_LEN = 1000
#: The largest recurrent state a policy file may declare.
MAX_HIDDEN_SIZE = 4096
