"""The label term's default text classifier reads where each word sits relative to the entities.

A word between two entities and the same word after them look alike to convolutions of width
3 and 5 once the entities are further apart than that; only the position features tell them
apart, and relations hang on exactly that difference (issue 27).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tanda_transforms import TF, TFLibrary
from tanda_transforms.labels import LabelTerm
from tanda_transforms.text.discriminator import TextDiscriminator, tag_distances
from tanda_transforms.text.learn import TextData, opening_tag_ids
from tanda_transforms.text.vocabulary import Vocabulary

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FILL = " ".join(["and"] * 6)


def sentence(between: bool) -> str:
    """``key`` in the middle of the words between the entities, or as far inside the words
    after them: every window of five words is the same in both (see the module docstring)."""
    middle = f"{FILL} key {FILL}"
    rest = " ".join(["and"] * 13)
    if between:
        return f"<e1>maker</e1> {middle} <e2>goods</e2> {rest}"
    return f"<e1>maker</e1> {rest} <e2>goods</e2> {middle}"


def _data(sentences: list[str]) -> TextData:
    library = TFLibrary([TF("identity")])
    return TextData(sentences, library, torch.device("cpu"))


def _ids(data: TextData, sentences: list[str]) -> torch.Tensor:
    return data.encode(data.batch(range(len(sentences))))


def test_without_positions_the_two_placements_are_indistinguishable():
    sentences = [sentence(True), sentence(False)]
    data = _data(sentences)
    torch.manual_seed(0)
    plain = TextDiscriminator(len(data.vocabulary), 4, outputs=2).eval()
    aware = data.default_classifier(4, 2).eval()
    with torch.no_grad():
        same = plain(_ids(data, sentences))
        apart = aware(_ids(data, sentences))
    torch.testing.assert_close(same[0], same[1], rtol=1e-5, atol=1e-6)  # the premise
    assert (apart[0] - apart[1]).abs().max() > 1e-3


def test_the_default_classifier_learns_a_label_that_only_positions_carry():
    labels = np.tile([0, 1], 32)
    sentences = [sentence(bool(y == 0)) for y in labels]
    data = _data(sentences)
    term = LabelTerm(labels, data, n_tfs=1, weight=1.0, steps=60, batch_size=16, width=4,
                     seed=0)
    term.fit()
    assert term.train_accuracy == 1.0


def test_positions_are_measured_from_the_opening_tags_only():
    vocabulary = Vocabulary(["<e2>", "x", "</e2>", "<e1>", "</e1>"])
    assert opening_tag_ids(vocabulary) == (vocabulary.index["<e1>"], vocabulary.index["<e2>"])
    assert opening_tag_ids(Vocabulary(["x", "y"])) == ()
    data = _data([sentence(True)])
    assert data.default_classifier(4, 2).span_tags == opening_tag_ids(data.vocabulary)


def test_distances_are_clipped_and_a_missing_tag_has_its_own_index():
    ids = torch.tensor([[9, 3] + [4] * 40, [4] * 42])
    out = tag_distances(ids, 3, clip=30)
    assert out[0, :3].tolist() == [29, 30, 31]
    assert out[0, -1].item() == 60  # 40 words after the tag, clipped to 30
    assert set(out[1].tolist()) == {61}


@pytest.mark.parametrize("tags", [(0,), (10,), (-1,)])
def test_span_tags_outside_the_vocabulary_are_refused(tags):
    with pytest.raises(ValueError, match=r"span_tags must be token ids in \[1, 10\)"):
        TextDiscriminator(10, 4, span_tags=tags)


def test_a_checkpoint_of_another_classifier_is_refused_by_name():
    labels = np.tile([0, 1], 4)
    data = _data([sentence(bool(y == 0)) for y in labels])
    term = LabelTerm(labels, data, n_tfs=1, weight=1.0, steps=1, batch_size=4, width=4, seed=0)
    state = term.state_dict()
    state["classifier"] = {k: v for k, v in state["classifier"].items()
                           if not k.startswith("positions.")}  # a words-only classifier's
    with pytest.raises(ValueError, match="label classifier does not fit this run's"):
        term.load_state_dict(state)
