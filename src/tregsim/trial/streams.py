"""Every random draw of a trial, each from its own seeded stream, so that nothing depends on chunking.

A trial under seed ``S`` is a sequence of replicates ``r = 0, 1, ...``; each replicate screens candidates
``k = 0, 1, ...`` in order.  Candidate ``(r, k)`` is one virtual person, the same whatever the chunk size,
the worker count, the arm or the number of patients and replicates asked for:

* parameters: ``population.sample(1, population_rng(S, r, k))[0]``;
* immune triggers (and any other draw of the model): ``build_subject(protocol, index=k,
  seed=replicate_seed(S, r))``;
* Gd+ lesion count on the scan at simulation day ``d``: Poisson(expected) drawn from
  ``scan_rng(S, r, k, d)``, so the same scan (e.g. the enrolment scan, also the last screening scan) gives
  the same count wherever it is read;
* the measurement error of the blood Treg count drawn at simulation day ``d``: one standard normal from
  ``blood_draw_rng(S, r, k, d)`` (likewise the same wherever that draw is read).

Keys are ``numpy.random.SeedSequence`` entropy lists of one fixed length per stream with a distinct tag, and
every counter enters as ``value + 1``: SeedSequence gives ``[a, b]`` and ``[a, b, 0]`` the same state, so a
0 must never end a key.
"""

from __future__ import annotations

import numpy as np

_TAG_REPLICATE = 0x54524C52  # "TRLR"
_TAG_POPULATION = 0x54524C50  # "TRLP"
_TAG_SCAN = 0x54524C53  # "TRLS"
_TAG_BLOOD = 0x54524C42  # "TRLB"


def replicate_seed(seed: int, replicate: int) -> int:
    """The ``build_subject`` seed of replicate ``replicate`` (a 63-bit integer derived from the trial seed)."""
    state = np.random.SeedSequence([int(seed), _TAG_REPLICATE, int(replicate) + 1]).generate_state(2, np.uint64)
    return int(state[0] >> np.uint64(1))


def population_rng(seed: int, replicate: int, candidate: int) -> np.random.Generator:
    """The generator candidate ``candidate`` of replicate ``replicate`` draws its parameters from."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), _TAG_POPULATION, int(replicate) + 1,
                                                         int(candidate) + 1]))


def scan_key(day: float) -> int:
    """A scan's key: its simulation time in whole hours."""
    return int(round(float(day) * 24.0))


def scan_rng(seed: int, replicate: int, candidate: int, day: float) -> np.random.Generator:
    """The generator of the lesion count on the scan at simulation day ``day`` of candidate ``candidate``."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), _TAG_SCAN, int(replicate) + 1,
                                                         int(candidate) + 1, scan_key(day) + 1]))


def lesion_counts(expected: np.ndarray, days: np.ndarray, seed: int, replicate: int, candidate: int) -> np.ndarray:
    """Gd+ lesion counts on scans at ``days``: one Poisson draw per scan from the expected number (integers)."""
    expected = np.maximum(np.asarray(expected, dtype=float), 0.0)  # round-off below 0; NaN raises (a failed solve)
    return np.array([scan_rng(seed, replicate, candidate, d).poisson(mu) for mu, d in zip(expected, days)],
                    dtype=np.int64)


def blood_draw_rng(seed: int, replicate: int, candidate: int, day: float) -> np.random.Generator:
    """The generator of the measurement error of the blood sample taken at simulation day ``day``."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), _TAG_BLOOD, int(replicate) + 1,
                                                         int(candidate) + 1, scan_key(day) + 1]))


def measured_blood_treg(true_level: np.ndarray, days: np.ndarray, sd_log: float, seed: int, replicate: int,
                        candidate: int) -> np.ndarray:
    """Blood Treg as measured on samples taken at ``days``: ``true_level x exp(sd_log z)``, one standard normal z
    per sample (log-normal, median unbiased: the true level is the median of what is measured)."""
    z = np.array([blood_draw_rng(seed, replicate, candidate, d).standard_normal() for d in np.atleast_1d(days)])
    return np.asarray(true_level, dtype=float) * np.exp(float(sd_log) * z)
