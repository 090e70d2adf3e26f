"""tregsim: an in-silico laboratory for IGF-1 -> IGF1R -> Treg -> Teff -> myelin -> disability.

Public API::

    import tregsim
    res = tregsim.simulate("bilbao2014-eae-igf1", seed=1)
    res.timecourse          # pandas DataFrame, mean over animals
    res.data                # xarray Dataset (subject x time_day), units in attrs
    res.metrics             # incidence, onset_day_mean, peak_score_mean, ...
    res.plot()
"""

from tregsim.protocol import ProtocolError, SimulationProtocol, load_protocol
from tregsim.simulate import SimulationResult, simulate

__version__ = "0.1.0"

__all__ = ["ProtocolError", "SimulationProtocol", "SimulationResult", "load_protocol", "simulate", "__version__"]
