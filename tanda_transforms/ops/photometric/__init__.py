"""The photometric op families, one module each: :mod:`.enhance`, :mod:`.colour`,
:mod:`.filters`, :mod:`.levels` (each op's numpy kernel, torch kernel, bounds and draw,
registered on import).
"""
