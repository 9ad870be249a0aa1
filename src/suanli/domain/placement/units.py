"""Performance-normalised units: A100-equivalents and P (PFLOPS FP16).

Accelerators differ several-fold in throughput, so a quote compares like for like by converting a
request for "64 A100-equivalents" or "20 P" into a device count per pool. The exchange rate of a
model is its FP16 TFLOPS over the reference model's (A100), unless the operator has measured a
benchmark factor for it, which then wins: data-sheet peaks flatter some parts more than others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from suanli.domain.resources import CATALOGUE, REFERENCE_MODEL

TFLOPS_PER_PFLOPS = 1000.0
# Guards ceil() against 7.999999 -> 8 style float noise in the conversions below.
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class ExchangeRates:
    """A100-equivalents per device of each model; `measured` overrides the data-sheet ratio."""

    measured: Mapping[str, float] = field(default_factory=dict)
    reference: str = REFERENCE_MODEL

    def equivalents_per_device(self, model: str) -> float:
        if model in self.measured:
            return float(self.measured[model])
        reference = CATALOGUE[self.reference].fp16_tflops
        return CATALOGUE[model].fp16_tflops / reference if model in CATALOGUE else 0.0

    def pflops_per_device(self, model: str) -> float:
        """Effective FP16 PFLOPS of one device, measured factor included."""
        return self.equivalents_per_device(model) * CATALOGUE[self.reference].fp16_tflops / TFLOPS_PER_PFLOPS

    def equivalents_of_pflops(self, pflops: float) -> float:
        return pflops * TFLOPS_PER_PFLOPS / CATALOGUE[self.reference].fp16_tflops

    def devices_for(self, equivalents: float, model: str, multiple_of: int = 1) -> int | None:
        """Devices of `model` giving at least `equivalents`, rounded up to a multiple of the gang
        width; None when the model has no performance rating (CPU)."""
        rate = self.equivalents_per_device(model)
        if rate <= 0:
            return None
        devices = max(1, math.ceil(equivalents / rate - _EPSILON))
        return -(-devices // multiple_of) * multiple_of

    def scaled_hours(self, hours: float, equivalents: float, model: str, devices: int) -> float:
        """Runtime on `devices` of `model` of work that takes `hours` on `equivalents` reference
        devices: rounding the device count up finishes a little sooner."""
        delivered = self.equivalents_per_device(model) * devices
        return hours * equivalents / delivered if delivered > 0 else math.inf


DEFAULT_RATES = ExchangeRates()
