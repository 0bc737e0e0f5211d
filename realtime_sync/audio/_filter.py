"""Kaiser-windowed sinc low-pass design for the polyphase resampler.

The resampler upsamples by ``up`` (zero stuffing), low-pass filters at the
upsampled rate ``fs_up = up * from_rate`` and keeps every ``down``-th sample.
The low-pass must remove everything above the Nyquist frequency of the lower
of the two rates: the images of an upsampler and the aliases of a decimator.

Design rules (Kaiser, "Nonrecursive digital filter design using the I0-sinh
window function", 1974; Oppenheim & Schafer, *Discrete-Time Signal
Processing*, section 7.5.3):

* stopband attenuation ``A`` dB needs ``beta = 0.1102 * (A - 8.7)``;
* a transition band ``dw`` rad/sample wide needs
  ``N - 1 = (A - 7.95) / (2.285 * dw)`` taps.

The passband ends at ``pass_fraction`` and the stopband starts at
``stop_fraction`` of the lower Nyquist frequency. The filter is linear phase
and odd-length, so its group delay ``(N - 1) / 2`` is a whole number of
samples at the upsampled rate; that delay is the resampler's latency.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

__all__ = ["QUALITIES", "FilterDesign", "FilterSpec", "design_filter"]

# Above this many coefficients the polyphase bank is not materialised; the taps a
# chunk needs are evaluated on the fly instead (exotic rate pairs such as
# 44100 -> 24001 have tens of thousands of phases).
_MAX_BANK_COEFFICIENTS = 1 << 20


@dataclass(frozen=True)
class FilterSpec:
    """The shape of a resampling low-pass, relative to the lower Nyquist frequency.

    Attributes:
        pass_fraction: End of the passband as a fraction of the lower Nyquist.
        stop_fraction: Start of the stopband as a fraction of the lower Nyquist.
        attenuation_db: Design stopband attenuation (and passband ripple
            ``20 * log10(1 + 10 ** (-A / 20))``) in dB.
    """

    pass_fraction: float
    stop_fraction: float
    attenuation_db: float


# "high": flat to 0.8 of the lower Nyquist, >= 100 dB rejection from the Nyquist up.
# The stopband starts exactly at the lower Nyquist so that nothing above it can
# alias, and the transition band is as wide as the 0.8 passband allows to keep
# the filter (and its latency) short. 105 dB of design margin covers float32.
QUALITIES: MappingProxyType[str, FilterSpec] = MappingProxyType(
    {
        "high": FilterSpec(pass_fraction=0.8, stop_fraction=1.0, attenuation_db=105.0),
        "fast": FilterSpec(pass_fraction=0.8, stop_fraction=1.0, attenuation_db=70.0),
    }
)


@dataclass(frozen=True)
class FilterDesign:
    """A designed prototype low-pass at the upsampled rate.

    Attributes:
        up: Upsampling factor ``L``.
        down: Downsampling factor ``M`` (coprime with ``up``).
        num_taps: Prototype length ``N`` (odd).
        delay: Group delay ``(N - 1) / 2`` in samples at the upsampled rate.
        taps_per_phase: ``T = ceil(N / L)``, input samples each output needs.
        cutoff: Cutoff in cycles per upsampled sample (-6 dB point).
        beta: Kaiser window parameter.
        bank: Polyphase bank ``(L, T)``, row ``p`` holding ``h[p + L * t]`` for
            ``t = 0 .. T - 1``, scaled by ``L``; ``None`` when too large (the
            taps are then computed with :meth:`phase_rows`).
    """

    up: int
    down: int
    num_taps: int
    delay: int
    taps_per_phase: int
    cutoff: float
    beta: float
    bank: npt.NDArray[np.float64] | None

    def taps(self, index: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Evaluate prototype taps ``h[index]`` (zero outside ``0 .. N - 1``).

        Args:
            index: Integer tap positions, any shape.

        Returns:
            The taps, scaled by ``up`` so that each phase has unit DC gain.
        """
        offset = index.astype(np.float64) - self.delay
        ratio = offset / max(self.delay, 1)
        inside = (index >= 0) & (index < self.num_taps)
        window = np.i0(self.beta * np.sqrt(np.clip(1.0 - ratio * ratio, 0.0, 1.0)))
        window /= np.i0(self.beta)
        value = 2.0 * self.cutoff * np.sinc(2.0 * self.cutoff * offset) * window
        result: npt.NDArray[np.float64] = np.where(inside, value * self.up, 0.0)
        return result

    def phase_rows(self, phases: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Return the bank rows for the given phases, shape ``(len(phases), T)``.

        Args:
            phases: Phase numbers in ``0 .. up - 1``.

        Returns:
            Row ``k`` holds ``h[phases[k] + up * t]`` for ``t = 0 .. T - 1``.
        """
        if self.bank is not None:
            return self.bank[phases]
        t = np.arange(self.taps_per_phase, dtype=np.int64)
        return self.taps(phases[:, None] + self.up * t[None, :])


def kaiser_beta(attenuation_db: float) -> float:
    """Return the Kaiser window ``beta`` for a stopband attenuation in dB.

    Args:
        attenuation_db: Wanted stopband attenuation, in dB.

    Returns:
        The window parameter (Kaiser's empirical formula).
    """
    excess = attenuation_db - 21.0
    if attenuation_db > 50.0:
        return 0.1102 * (attenuation_db - 8.7)
    if excess >= 0.0:
        return 0.5842 * math.pow(excess, 0.4) + 0.07886 * excess
    return 0.0


@functools.lru_cache(maxsize=16)
def design_filter(up: int, down: int, quality: str) -> FilterDesign:
    """Design (once per rate pair and quality) the prototype low-pass.

    Args:
        up: Upsampling factor ``L`` (coprime with ``down``).
        down: Downsampling factor ``M``.
        quality: A key of :data:`QUALITIES`.

    Returns:
        The design; its bank is read-only and shared between resamplers.
    """
    spec = QUALITIES[quality]
    # In cycles per upsampled sample; the lower Nyquist is 1 / (2 max(L, M)).
    nyquist = 0.5 / max(up, down)
    cutoff = 0.5 * (spec.pass_fraction + spec.stop_fraction) * nyquist
    transition = (spec.stop_fraction - spec.pass_fraction) * nyquist
    width = 2.285 * 2.0 * math.pi * transition  # Kaiser's rule, dw in rad/sample
    order = math.ceil((spec.attenuation_db - 7.95) / width)
    delay = (order + 1) // 2
    num_taps = 2 * delay + 1
    taps_per_phase = -(-num_taps // up)
    design = FilterDesign(
        up=up,
        down=down,
        num_taps=num_taps,
        delay=delay,
        taps_per_phase=taps_per_phase,
        cutoff=cutoff,
        beta=kaiser_beta(spec.attenuation_db),
        bank=None,
    )
    if up * taps_per_phase > _MAX_BANK_COEFFICIENTS:
        return design
    index = np.arange(up * taps_per_phase, dtype=np.int64)
    bank = design.taps(index).reshape(taps_per_phase, up).T.copy()
    bank.flags.writeable = False
    return FilterDesign(
        up=up,
        down=down,
        num_taps=num_taps,
        delay=delay,
        taps_per_phase=taps_per_phase,
        cutoff=cutoff,
        beta=design.beta,
        bank=bank,
    )
