"""Host-memory allocator setting for CPU training: keep freed blocks for reuse instead of unmapping them.

glibc serves every allocation above its mmap threshold (128 KiB, rising dynamically to at most 32 MiB) with a
fresh ``mmap`` and returns it with ``munmap`` when freed, so each training step of a convolutional network on
the CPU page-faults its large activations (a [256, 64, 32, 32] float32 tensor is 64 MiB) into memory again:
measured by ``benchmarks/mumimo_step.py``, this costs the MU-MIMO training step a large share of its time.
:func:`retain_freed_memory` raises the mmap and trim thresholds so freed blocks stay in the heap and are
reused. Values computed are unchanged; the process keeps its peak heap instead of returning it to the system.
It acts only on glibc (Linux); elsewhere it does nothing and says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["retain_freed_memory"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_DEFAULT_THRESHOLD = 128 * 1024  # glibc's initial mmap and trim thresholds
_RETAIN_MMAP = 1 << 30  # allocations above 1 GiB are still mapped
_RETAIN_TRIM = (1 << 31) - 1


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


def retain_freed_memory(enable: bool = True) -> bool:
    """Keep freed heap memory for reuse (``enable``) or go back to glibc's defaults (and trim the heap).
    Returns True when the setting took effect (glibc), False where there is no glibc ``mallopt``."""
    libc = _libc()
    if libc is None:
        return False
    mmap_t, trim_t = (_RETAIN_MMAP, _RETAIN_TRIM) if enable else (_DEFAULT_THRESHOLD, _DEFAULT_THRESHOLD)
    ok = bool(libc.mallopt(_M_MMAP_THRESHOLD, mmap_t)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, trim_t))
    if not enable and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
    return ok
