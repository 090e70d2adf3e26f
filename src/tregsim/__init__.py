"""tregsim: an in-silico laboratory for IGF-1 -> IGF1R -> Treg -> Teff -> myelin -> disability.

Public API::

    import tregsim
    res = tregsim.simulate("bilbao2014-eae-igf1", seed=1)
    res.timecourse          # pandas DataFrame, mean over animals
    res.data                # xarray Dataset (subject x time_day), units in attrs
    res.metrics             # incidence, onset_day_mean, peak_score_mean, ...
    res.plot()

    seed = tregsim.reproduce("bilbao2014")          # every experiment under every hypothesis
    seed.targets(), seed.hypothesis_table()
    tregsim.dose_translation("rrms")["rows"]       # human regimens vs the protective mouse exposure
"""

from tregsim.protocol import ProtocolError, SimulationProtocol, load_protocol
from tregsim.simulate import SimulationResult, simulate

__version__ = "0.1.0"


def reproduce(study: str = "bilbao2014", animals: int = 40, seed: int = 1):
    """Reproduce a published study in silico (see ``tregsim reproduce``); returns a ReproduceResult.

    Raises:
        ValueError: unknown study.
    """
    from tregsim.experiments.reproduce import STUDIES, reproduce_bilbao2014

    if study not in STUDIES:
        raise ValueError(f"unknown study {study!r}; allowed: {', '.join(STUDIES)}")
    return reproduce_bilbao2014(animals=animals, seed=seed)


def dose_translation(disease: str = "rrms") -> dict:
    """Human IGF-1 regimens against the protective mouse free exposure (see pk.translation)."""
    from tregsim.pk.translation import translation_table

    return translation_table(disease)


__all__ = ["ProtocolError", "SimulationProtocol", "SimulationResult", "dose_translation", "load_protocol",
           "reproduce", "simulate", "__version__"]
