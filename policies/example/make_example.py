"""Write the gallery's `example` policy: a uniform mean-field sampler over the MNIST pack, L = 3.

It is not learned: it exists so that loading a gallery policy by name can be shown and tested
before (and independently of) the learned gallery. Run from the repository root::

    python policies/example/make_example.py
"""

from pathlib import Path

from tanda_transforms import TANDAPolicy

OUT = Path(__file__).resolve().parents[2] / "tanda_transforms" / "gallery" / "example.tanda"

if __name__ == "__main__":
    policy = TANDAPolicy(
        "mnist",
        seq_len=3,
        metadata={
            "description": "uniform (heuristic) sampler over the paper's MNIST TFs; not learned",
            "recipe": "python policies/example/make_example.py",
        },
    )
    policy.save(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
