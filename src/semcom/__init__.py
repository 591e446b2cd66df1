"""semcom: semantic communication research in PyTorch.

Layers, in the order data flows: ``semcom.data`` (sources) -> ``semcom.models`` (encoders and
decoders) -> ``semcom.channels`` (the physical layer) -> ``semcom.models`` (decoders) ->
``semcom.metrics``. ``semcom.systems`` wires one paper's system together, ``semcom.training`` trains
it with Lightning, ``semcom.cli`` is the ``semcom`` command.

Conventions (everywhere): SNR is Es/N0 per complex channel symbol, in dB unless a name says
``_lin``; transmitted symbols have unit average energy per complex symbol; noise is CN(0, N0) with
N0 = 10^(-SNR/10), that is N0/2 per real dimension.
"""

from semcom.errors import SemcomError

__version__ = "0.1.0"
__all__ = ["SemcomError", "__version__"]
