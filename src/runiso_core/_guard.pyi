# The lock protocol of the mutable cores is C-level (_guard.pxd); this is its testing aid.
def _held() -> int:
    """Guards the calling thread holds now (0 outside any operation)."""
