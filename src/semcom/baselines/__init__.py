"""Digital baselines: image codecs with link-payload accounting (:mod:`.codecs`), the separate
source-channel coding chain codec + 5G LDPC + QAM over semcom's channels (:mod:`.sscc`), the ideal
separation bound (:mod:`.bound`) and the ``semcom baseline`` tool (:mod:`.run`)."""

from semcom.baselines.bound import capacity, ideal_point
from semcom.baselines.codecs import CODECS, Codec, available_codecs, create_codec
from semcom.baselines.sscc import make_link, rate_control, transmit

__all__ = ["CODECS", "Codec", "available_codecs", "capacity", "create_codec", "ideal_point", "make_link",
           "rate_control", "transmit"]
