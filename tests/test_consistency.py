"""The consistency (transformation-regularisation) loss: values, gradients, seeds, errors."""

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torchvision.transforms import v2

import tanda_transforms
from tanda_transforms import TANDAPolicy
from tanda_transforms.consistency import check_settings, consistency_loss, consistency_term

README = Path(__file__).resolve().parents[1] / "README.md"
DEVICES = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")),
]


def small_net(channels: int = 3, classes: int = 5, seed: int = 0) -> nn.Module:
    """Conv + batch norm + linear, no dropout: identical inputs give identical outputs."""
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Conv2d(channels, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, classes),
    )
    with torch.no_grad():
        net[-1].weight.mul_(10)  # confident outputs: terms well above rounding
    return net


class Logits(nn.Module):
    """The 'model' whose logits are its input ``B x K``: the term by hand."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def images(n: int = 6, size: int = 12, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_public_name():
    assert tanda_transforms.consistency_loss is consistency_loss
    assert "consistency_loss" in dir(tanda_transforms)


@pytest.mark.parametrize("target", ["pairs", "detached"])
def test_zero_for_identical_copies(target):
    model = small_net().train()
    loss = consistency_loss(model, images(), lambda image: image, passes=3, target=target)
    assert loss.item() == pytest.approx(0.0, abs=1e-7)
    if target == "pairs":
        assert loss.item() == 0.0


def test_pairs_is_the_mean_over_pairs_and_the_reference_scale():
    logits = [torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0]]),
              torch.tensor([[2.0, 0.0, 0.0], [1.0, 0.5, 0.0]]),
              torch.tensor([[0.0, 0.0, 0.0], [0.0, 3.0, 0.0]])]
    probs = [p.softmax(1).numpy() for p in logits]
    pairs = list(itertools.combinations(range(3), 2))
    by_hand = np.mean([((probs[i] - probs[j]) ** 2).sum(1) for i, j in pairs])
    ours = consistency_term(Logits(), logits).item()
    assert ours == pytest.approx(by_hand, rel=1e-6)
    # HazyResearch/tanda _tr_term: the sum over pairs divided by the number of passes
    reference = np.mean([sum(((probs[i][b] - probs[j][b]) ** 2).sum() for i, j in pairs) / 3
                         for b in range(2)])
    assert reference == pytest.approx(ours * (3 - 1) / 2, rel=1e-6)


@pytest.mark.parametrize("target,divergence", [("pairs", "mse"), ("detached", "kl"),
                                               ("detached", "mse")])
def test_grows_with_disagreement(target, divergence):
    base = torch.zeros(4, 3)
    values = []
    for shift in (0.0, 0.5, 1.0, 2.0, 4.0):
        moved = base.clone()
        moved[:, 0] += shift
        copies = [base, moved] if target == "pairs" else [moved]
        original = base if target == "detached" else None
        values.append(consistency_term(Logits(), copies, original=original,
                                       divergence=divergence).item())
    assert values[0] == pytest.approx(0.0, abs=1e-7)
    assert all(a < b for a, b in zip(values, values[1:], strict=False))


def test_pairs_gradients_reach_the_parameters_only():
    model = small_net().train()
    unlabeled = images()
    policy = TANDAPolicy("cifar10", seq_len=2, seed=0)
    loss = consistency_loss(model, unlabeled, policy, passes=2)
    loss.backward()
    assert loss.item() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    assert unlabeled.grad is None


@pytest.mark.parametrize("divergence", ["kl", "mse"])
def test_detached_target_gets_no_gradient(divergence):
    model = small_net().eval()  # eval: the target pass leaves batch-norm statistics alone
    calls = []
    model.register_forward_hook(lambda module, inputs, out: calls.append(out.requires_grad))
    unlabeled = images()
    flip = lambda image: torch.flip(image, dims=[2])  # noqa: E731
    loss = consistency_loss(model, unlabeled, flip, passes=1, target="detached",
                            divergence=divergence)
    assert calls == [False, True]  # the target pass, without gradient, then the copy
    grads = torch.autograd.grad(loss, list(model.parameters()))
    # the same term with the target computed by hand as a constant
    target = model(unlabeled).softmax(1).detach()
    out = model(torch.flip(unlabeled, dims=[3]))
    if divergence == "kl":
        manual = (target * (target.log() - out.log_softmax(1))).sum(1).mean()
    else:
        manual = ((out.softmax(1) - target) ** 2).sum(1).mean()
    # KL of near-equal distributions is a small difference of terms of size ~log(10): its
    # float32 rounding is absolute (it differed by 3e-8 with torch's default SIMD level)
    assert loss.item() == pytest.approx(manual.item(), rel=1e-5, abs=1e-6)
    for got, expected in zip(grads, torch.autograd.grad(manual, list(model.parameters())),
                             strict=True):
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("device", DEVICES)
def test_runs_on_the_device_of_the_batch_and_the_model(device):
    model = small_net().to(device).train()
    unlabeled = images().to(device)
    loss = consistency_loss(model, unlabeled, TANDAPolicy("cifar10", seq_len=2), passes=2,
                            seed=1)
    assert loss.device.type == device and torch.isfinite(loss) and loss.item() > 0
    loss.backward()
    uint8 = (unlabeled * 255).to(torch.uint8)
    loss = consistency_loss(model, uint8, v2.RandAugment(), passes=2, target="detached", seed=1)
    assert loss.device.type == device and torch.isfinite(loss)


@pytest.mark.parametrize("transform", [TANDAPolicy("cifar10", seq_len=3), v2.RandAugment()],
                         ids=["policy", "randaugment"])
def test_a_seed_makes_it_deterministic_and_leaves_torch_alone(transform):
    model = small_net().train()
    unlabeled = (images() * 255).to(torch.uint8)
    before = torch.get_rng_state()
    first = consistency_loss(model, unlabeled, transform, passes=3, seed=7)
    assert torch.equal(torch.get_rng_state(), before)
    again = consistency_loss(model, unlabeled, transform, passes=3, seed=7)
    other = consistency_loss(model, unlabeled, transform, passes=3, seed=8)
    assert first.item() == again.item() != other.item()


def test_batched_transform_and_preprocess():
    model = small_net().train()
    seen = []

    def batched(batch: torch.Tensor) -> torch.Tensor:
        seen.append(batch.shape)
        return torch.flip(batch, dims=[3]) if len(seen) % 2 else batch

    def preprocess(batch: torch.Tensor) -> torch.Tensor:
        return (batch - 0.5) / 0.25

    loss = consistency_loss(model, images(), batched, passes=2, per_image=False,
                            preprocess=preprocess)
    assert seen == [torch.Size([6, 3, 12, 12])] * 2 and loss.item() > 0


def test_bad_input_is_a_clear_error():
    model, batch, same = small_net(), images(), (lambda image: image)
    with pytest.raises(ValueError, match="passes must be an int >= 2"):
        consistency_loss(model, batch, same, passes=1)
    with pytest.raises(ValueError, match="passes must be an int >= 1"):
        consistency_loss(model, batch, same, passes=0, target="detached")
    with pytest.raises(ValueError, match="empty batch"):
        consistency_loss(model, batch[:0], same)
    with pytest.raises(ValueError, match="B x C x H x W"):
        consistency_loss(model, batch[0], same)
    with pytest.raises(TypeError, match="torch tensor"):
        consistency_loss(model, batch.numpy(), same)
    with pytest.raises(ValueError, match="target must be one of"):
        consistency_loss(model, batch, same, target="mean")
    with pytest.raises(ValueError, match="needs target 'detached'"):
        consistency_loss(model, batch, same, divergence="kl")
    with pytest.raises(TypeError, match="must return a torch.float32 tensor of shape"):
        consistency_loss(model, batch, lambda image: image[:, :4])
    with pytest.raises(ValueError, match="logits B x K"):
        consistency_loss(nn.Identity(), batch, same)
    with pytest.raises(ValueError, match="one shape"):
        consistency_term(model, [batch, batch[:3]])
    with pytest.raises(ValueError, match="seed"):
        consistency_loss(model, batch, same, seed=-1)
    with pytest.raises(TypeError, match="uint8 or float"):
        consistency_loss(model, batch.to(torch.int32), same)
    assert check_settings(3, "detached", "mse") == "mse"


def test_the_readme_example_runs():
    section = README.read_text().split("## Train on unlabeled images too", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert torch.isfinite(scope["loss"]) and scope["step"] == 2
