"""Limits and names shared by the policy file, the generators and LearnConfig (no torch).

Examples
--------
>>> from tanda_transforms._limits import MAX_SEQ_LEN, SAMPLER_KINDS
>>> MAX_SEQ_LEN, SAMPLER_KINDS
(1000, ('mean_field', 'lstm', 'gru'))
"""

__all__ = ["MAX_SEQ_LEN", "MAX_HIDDEN_SIZE", "SAMPLER_KINDS"]

#: The longest TF sequence a policy (and its file) may have.
MAX_SEQ_LEN = 1000
#: The largest recurrent state a policy file may declare.
MAX_HIDDEN_SIZE = 4096
#: The sequence generators: one categorical per step, or a recurrent net fed the previous TF.
SAMPLER_KINDS = ("mean_field", "lstm", "gru")
