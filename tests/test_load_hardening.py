"""Loading policies, second hardening pass (issue 30 items 2, 3, 4, 5, 9, 11): the work a
file may ask for, unchecked files, bounded reads, paths, and language models."""

import os
import pickle
import socket
import sys

import numpy as np
import pytest
import torch
from _probe import run_child

from tanda_transforms import TF, PolicyFileError, TANDAPolicy, limits
from tanda_transforms.policy_file import decode, encode
from tanda_transforms.text import (
    NGramLM,
    register_language_model,
    registered_language_models,
    semeval_pack,
    unregister_language_model,
)

# --- item 2: the work a file may ask for --------------------------------------------------


def _policy_blob(n_tfs: int, seq_len: int, sampler: dict, tensors: dict) -> bytes:
    header = {
        "format": "tanda-policy",
        "library": [TF("rotate", degrees=i / 1000).to_dict() for i in range(n_tfs)],
        "sampler": {"n_tfs": n_tfs, **sampler},
        "seq_len": seq_len,
    }
    return encode(header, tensors)


def test_a_mean_field_bomb_is_refused_at_load():
    """10,000 TFs x seq_len 1,000 (a 580 KB file): its first call asked for 10 GB."""
    blob = _policy_blob(10_000, 1000, {"kind": "mean_field"},
                        {"sampler.logits": torch.zeros(10_000)})
    with pytest.raises(limits.PolicyLimitError, match="MAX_DRAW_BYTES"):
        TANDAPolicy.from_bytes(blob)


@pytest.mark.parametrize(("hidden", "seq_len", "limit"), [(4096, 1000, "MAX_HIDDEN_SIZE"),
                                                          (1024, 1000, "MAX_DRAW_WORK")])
def test_a_recurrent_bomb_is_refused_before_its_weights_are_read(hidden, seq_len, limit):
    """An LSTM 4,096 wide over seq_len 1,000 took > 120 s a call. The limits are checked on
    the declared config, before the weights: this file carries none."""
    blob = _policy_blob(4, seq_len, {"kind": "lstm", "hidden_size": hidden}, {})
    with pytest.raises(limits.PolicyLimitError, match=limit):
        TANDAPolicy.from_bytes(blob)


def test_limits_can_be_raised_for_a_trusted_file(monkeypatch):
    blob = _policy_blob(2_000, 200, {"kind": "mean_field"}, {"sampler.logits": torch.zeros(2000)})
    with pytest.raises(limits.PolicyLimitError):
        TANDAPolicy.from_bytes(blob)
    monkeypatch.setattr(limits, "MAX_DRAW_BYTES", None)
    policy = TANDAPolicy.from_bytes(blob)
    assert policy.seq_len == 200 and len(policy.library) == 2000


def test_every_gallery_policy_is_within_the_limits():
    from tanda_transforms import gallery_names

    for name in gallery_names():
        policy = TANDAPolicy.load(name)
        nbytes, work = limits.draw_cost(policy.sampler.config(), policy.seq_len)
        assert nbytes <= limits.MAX_DRAW_BYTES and work <= limits.MAX_DRAW_WORK


# --- item 4: reads bounded by the bytes present ---------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is Linux's")
def test_loading_fits_under_a_256_mb_address_space_limit():
    """``read(MAX_FILE_BYTES + 1)`` reserved 1 GiB: MemoryError under this limit."""
    result = run_child("""
    import resource
    from tanda_transforms import TANDAPolicy, gallery_names
    TANDAPolicy.load("example")
    with open("/proc/self/status") as status:
        vm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize"))
    limit = vm_kb * 1024 + 256 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    """, """
    try:
        bytearray(300 * 2**20)
        result["limit_holds"] = False
    except MemoryError:
        result["limit_holds"] = True
    result["seq_lens"] = [TANDAPolicy.load(name).seq_len for name in gallery_names()]
    """)
    assert result["limit_holds"]
    assert len(result["seq_lens"]) >= 5


# --- item 5: paths --------------------------------------------------------------------------

def test_a_unix_socket_is_refused_with_a_policy_file_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a short relative path: socket paths are limited to ~100 B
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind("policy.sock")
        with pytest.raises(PolicyFileError, match="not a regular file"):
            TANDAPolicy.load("policy.sock")
    finally:
        server.close()


def test_a_directory_never_shadows_a_gallery_policy(tmp_path, monkeypatch):
    """A file at the path wins; a directory is never a policy: one named like a gallery
    policy is passed over, any other is refused."""
    monkeypatch.chdir(tmp_path)
    os.mkdir("cifar10")
    assert TANDAPolicy.load("cifar10").library == TANDAPolicy.load("cifar10").library
    os.mkdir("mine")
    with pytest.raises(PolicyFileError, match="is a directory"):
        TANDAPolicy.load("mine")
    TANDAPolicy("mnist", seq_len=2).save("mnist")  # a file named like the gallery policy
    assert TANDAPolicy.load("mnist").seq_len == 2


# --- item 9: refused text files register nothing -------------------------------------------

def _text_blob(key: str) -> tuple[dict, dict]:
    blob = TANDAPolicy(semeval_pack(key), seq_len=2, seed=0).to_bytes()
    return decode(blob)


def _fresh_model(seed: int) -> NGramLM:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in rng.integers(0, 1000, 40)]
    return NGramLM.fit([" ".join(words[i:i + 8]) for i in range(0, 40, 8)])


def _refusals(header: dict, tensors: dict) -> dict:
    """Files that fail after their models were read: at each later check."""
    no_weights = {k: v for k, v in tensors.items() if not k.startswith("sampler.")}
    bad_tf = [*header["library"][:-1], {"op": "word_insert", "args": {"lm": 5}}]
    return {
        "weights missing": (header, no_weights),
        "a TF invalid": ({**header, "library": bad_tf}, tensors),
        "over the limits": ({**header, "seq_len": 1000}, tensors),
    }


def test_refused_text_files_leave_no_language_model_registered(monkeypatch):
    lm, other = _fresh_model(1), _fresh_model(2)
    header, tensors = _text_blob(register_language_model(lm))
    unregister_language_model(lm.key)
    before = registered_language_models()
    monkeypatch.setattr(limits, "MAX_DRAW_WORK", 1)
    for name, (head, tens) in _refusals(header, tensors).items():
        with pytest.raises(PolicyFileError):
            TANDAPolicy.from_bytes(encode(head, tens))
        assert registered_language_models() == before, name
    monkeypatch.undo()
    # two models, the second corrupt: the first is not registered either
    part, arrays = other.to_parts()
    models = {**header["language_models"], other.key: {**part, "order": 9}}
    extra = {f"lm.{other.key}.{k}": torch.from_numpy(v) for k, v in arrays.items()}
    with pytest.raises(PolicyFileError, match="language model"):
        TANDAPolicy.from_bytes(encode({**header, "language_models": models},
                                      {**tensors, **extra}))
    assert registered_language_models() == before
    assert TANDAPolicy.from_bytes(encode(header, tensors)).seq_len == 2
    assert lm.key in registered_language_models()
    unregister_language_model(lm.key)


# --- item 11: text policies in spawned workers -------------------------------------------

def test_a_text_policy_pickles_with_its_language_model():
    lm = _fresh_model(3)
    policy = TANDAPolicy(semeval_pack(register_language_model(lm)), seq_len=2, seed=0)
    blob = pickle.dumps(policy)
    unregister_language_model(lm.key)  # as in a fresh process
    copy = pickle.loads(blob)
    assert lm.key in registered_language_models()
    sentence = "The <e1>w1</e1> of the <e2>w2</e2> w3 w4 ."
    policy.manual_seed(5)
    copy.manual_seed(5)
    assert [copy(sentence) for _ in range(10)] == [policy(sentence) for _ in range(10)]
    unregister_language_model(lm.key)


def test_a_text_policy_works_in_spawned_dataloader_workers():
    """Spawn (macOS and Windows' default) starts a fresh interpreter, where no model is
    registered: the model travels with the policy."""
    policy = TANDAPolicy.load("semeval", seed=0)
    sentences = ["The <e1>company</e1> makes <e2>cars</e2> in a big factory ."] * 4
    loader = torch.utils.data.DataLoader(sentences, batch_size=None, collate_fn=policy,
                                         num_workers=1, multiprocessing_context="spawn")
    out = list(loader)
    assert len(out) == 4 and all("<e1>" in s and "</e2>" in s for s in out)
