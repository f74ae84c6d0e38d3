"""The setup helpers: stderr from C++ libraries is held back, and replayed when something fails."""

import os

import pytest

from painlib.session import quiet_stderr


def test_quiet_stderr_hides_fd_output_and_replays_it_on_failure(capfd):
    with quiet_stderr():
        os.write(2, b"chatter from a C++ library\n")
    assert "chatter" not in capfd.readouterr().err
    with pytest.raises(RuntimeError), quiet_stderr():
        os.write(2, b"the reason it broke\n")
        raise RuntimeError("boom")
    assert "the reason it broke" in capfd.readouterr().err
    with quiet_stderr(enabled=False):
        os.write(2, b"shown when disabled\n")
    assert "shown when disabled" in capfd.readouterr().err
