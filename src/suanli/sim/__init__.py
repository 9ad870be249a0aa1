"""Suanli's simulators, independent of the platform's database.

Two experiments live here. `fill` is the fill-the-cluster Monte Carlo of the FGD paper
(Weng et al., USENIX ATC '23): GPU tasks arrive one by one, never leave, and a packing policy
places each on a node; it measures how much GPU capacity fragmentation strands. `replay`
is a time-based discrete-event replay of a job trace over a federation of computing centers
(算力中心), with a broker choosing the center for each job and a voucher (算力券) program
paying part of the bill.
"""

from __future__ import annotations


class SimInputError(ValueError):
    """Bad input to a simulation (file, policy name, seed range): one readable line for the user."""
