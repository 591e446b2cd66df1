"""One module per paper's system, each registered in :data:`SYSTEMS` with its builder, Lightning module and
typed recipe section (see :mod:`semcom.systems.registry`).

=================  ==============================  ==============================================  ==================
kind               recipe ``model.name``           system                                          evaluated with
=================  ==============================  ==============================================  ==================
point_to_point     any model, or ``class_path``    :class:`PointToPointJSCC` (:mod:`.jscc`)        ``semcom eval``
li2025_mumimo      ``mumimo_semcom``               :class:`~.mumimo.MUMIMOSemanticSystem`          ``semcom mumimo``
ldm_codec          ``ldm_vae``                     :class:`~semcom.models.latent.LatentCodec`      ``semcom ldm``
ldm_denoiser       ``ldm_denoiser``                :class:`~semcom.models.diffusion.DiffusionDenoiser`  ``semcom ldm``
xie2023_digital    ``xie2023`` (``dt_jscc``)       :class:`~.digital_jscc.DigitalJSCC`             ``semcom eval``
zhang2023_padc     ``zhang2023_padc``              :class:`~.rate_adaptive.VariableLengthJSCC`     ``semcom rate`` (and ``eval``)
yang2022_rate      ``yang2022_rate``               :class:`~.rate_adaptive.RatePolicyJSCC`         ``semcom rate`` (and ``eval``)
liu2025_semantic   ``liu2025_semantic``            :class:`~.liu2025.Liu2025System` (codecs)        ``semcom liu2025``
liu2025_precoding  ``liu2025_precoding``           :class:`~.liu2025.Liu2025System` (W, f_Pre)      ``semcom liu2025``
liu2025_jscc       ``liu2025_jscc``                :class:`~.liu2025.Liu2025JSCC`                   ``semcom liu2025``
segmentation       ``unet_segmentation``           :class:`~semcom.models.segmentation.UNetSegmenter`  ``semcom liu2025``
=================  ==============================  ==============================================  ==================

``semcom.systems.load(path)`` rebuilds the trained system of any semcom checkpoint.
"""

from semcom.systems import digital_jscc as _digital_jscc  # noqa: F401  (registers xie2023_digital)
from semcom.systems import jscc as _jscc  # noqa: F401  (registers point_to_point)
from semcom.systems import ldm as _ldm  # noqa: F401  (registers ldm_codec, ldm_denoiser)
from semcom.systems import liu2025 as _liu2025  # noqa: F401  (registers liu2025_semantic, _precoding, _jscc)
from semcom.systems import mumimo as _mumimo  # noqa: F401  (registers li2025_mumimo)
from semcom.systems import rate_adaptive as _rate_adaptive  # noqa: F401  (registers zhang2023_padc, yang2022_rate)
from semcom.systems import segmentation as _segmentation  # noqa: F401  (registers segmentation)
from semcom.systems.jscc import PointToPointJSCC
from semcom.systems.registry import SYSTEMS, SystemSpec, check_section, describe, load, register_system, spec_for

__all__ = ["PointToPointJSCC", "SYSTEMS", "SystemSpec", "check_section", "describe", "load", "register_system",
           "spec_for"]
