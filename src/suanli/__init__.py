"""Suanli (算力): a regional compute-power service platform with a built-in compute-voucher (算力券) program."""

from pathlib import Path

__version__ = "0.1.0"

# The demo's data ships inside the package (`suanli/examples`, package data in the wheel); in a source
# checkout that directory is a link to the repository's `examples/`, the paths the README names.
EXAMPLES = Path(__file__).resolve().parent / "examples"
