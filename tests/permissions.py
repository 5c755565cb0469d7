"""Making file permissions apply in tests, even when the tests run as root."""

from __future__ import annotations

import os
import shutil

import pytest


def without_permission_override() -> tuple[str, ...]:
    """A command prefix under which permissions apply: none for a normal user; for root,
    setpriv dropping the two capabilities that let root read and write anything."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be made to apply")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")
