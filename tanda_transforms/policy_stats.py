"""How far a learned policy moved from the uniform policy it started as.

A generator starts uniform (every TF equally likely at every step); learning makes it prefer
some TFs. Too few steps leave it near uniform, which is then no better than the heuristic
baseline (random TFs). :func:`distance_from_uniform` measures that distance as the mean
Kullback-Leibler divergence, in nats, of each step's TF distribution from uniform:
``log K - H(pi_t)``, averaged over the steps of sampled sequences (exact for a mean-field
policy, whose steps do not depend on the history; for a recurrent one, averaged over
``n`` sampled histories). 0 is uniform; ``log K`` is a policy that always picks one TF.

Examples
--------
>>> from tanda_transforms import TANDAPolicy
>>> from tanda_transforms.policy_stats import distance_from_uniform
>>> d = distance_from_uniform(TANDAPolicy.load("example"))
>>> round(d.kl, 6), d.tfs, round(d.top, 4), round(d.uniform, 4)
(0.0, 25, 0.04, 0.04)
"""

from __future__ import annotations

import dataclasses
import math

import torch

from tanda_transforms.generators import SequenceSampler

__all__ = ["FEW_STEPS", "NEAR_UNIFORM_KL", "UniformDistance", "distance_from_uniform",
           "sampler_distance"]

#: Below this mean KL (nats per step) ``tanda learn`` warns that the policy is still close to
#: uniform (docs/learning.md, "How many steps": the shipped and experiment image policies
#: are at 0.11-1.46).
NEAR_UNIFORM_KL = 0.05
#: ``tanda learn`` warns before learning when a run has fewer steps: in the runs of
#: docs/learning.md ("How many steps") the KL was still below :data:`NEAR_UNIFORM_KL` at step
#: 75 and above it at step 100.
FEW_STEPS = 100


@dataclasses.dataclass(frozen=True)
class UniformDistance:
    """A policy's distance from uniform.

    Attributes
    ----------
    kl
        Mean KL divergence of a step's TF distribution from uniform, in nats.
    tfs
        K, the number of TFs (``log K`` is the largest ``kl`` can be).
    top
        Probability of the most likely TF per step: its probability at each step, averaged
        over the sampled sequences (exact for a mean-field policy).
    uniform
        ``1 / K``.
    """

    kl: float
    tfs: int
    top: float
    uniform: float

    def summary(self) -> str:
        """One line: the KL against its range, and the top TF against uniform.

        Examples
        --------
        >>> UniformDistance(kl=0.2, tfs=25, top=0.1, uniform=0.04).summary()
        'distance from uniform: KL 0.200 nats per step (0 = uniform, 3.219 = always one TF); top TF 0.1000 vs uniform 0.0400 (2.5x)'
        """  # noqa: E501
        return (f"distance from uniform: KL {self.kl:.3f} nats per step (0 = uniform, "
                f"{math.log(self.tfs):.3f} = always one TF); top TF {self.top:.4f} vs uniform "
                f"{self.uniform:.4f} ({self.top / self.uniform:.1f}x)")


@torch.no_grad()
def sampler_distance(sampler: SequenceSampler, seq_len: int, n: int = 4096,
                     seed: int = 0) -> UniformDistance:
    """:func:`distance_from_uniform` of a bare sampler (e.g. a learner's, during learning).

    ``n`` sequences of ``seq_len`` are drawn with a generator seeded by ``seed``; the sampler's
    own random stream is not touched.
    """
    device = next(sampler.parameters()).device
    generator = torch.Generator(device).manual_seed(seed)
    actions = sampler.draw(n, seq_len, generator=generator)
    log_p = torch.log_softmax(sampler.sequence_logits(actions).double(), -1)
    entropy = -(log_p.exp() * log_p).sum(-1).mean().item()
    marginal = log_p.exp().mean((0, 1))  # each step's distribution, averaged over histories
    k = sampler.n_tfs
    return UniformDistance(kl=max(0.0, math.log(k) - entropy), tfs=k,
                           top=marginal.max().item(), uniform=1 / k)


def distance_from_uniform(policy, n: int = 4096, seed: int = 0) -> UniformDistance:
    """How far ``policy``'s TF choices are from uniform (see the module docstring).

    Parameters
    ----------
    policy
        A :class:`~tanda_transforms.policy.TANDAPolicy`.
    n
        Sequences sampled (of the policy's length ``L``).
    seed
        Seed of the sampling (the policy's own stream is not touched).

    Returns
    -------
    UniformDistance
    """
    return sampler_distance(policy.sampler, policy.seq_len, n=n, seed=seed)
