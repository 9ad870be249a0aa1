"""Suanli (算力): a regional compute-power service platform with a built-in compute-voucher (算力券) program."""

__version__ = "0.1.0"
