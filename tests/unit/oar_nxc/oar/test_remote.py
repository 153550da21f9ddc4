"""oar_nxc.oar.remote: the command line that runs an argv on a host, every word quoted."""

from __future__ import annotations

import shlex

from oar_nxc.oar import remote


def test_every_word_is_quoted_as_the_user_from_its_home() -> None:
    line = remote.command_line(["oarsub", "-p", "host = 'a; rm -rf ~'", "$(id)"], "alice", timeout=30)
    words = shlex.split(line)
    assert words[:5] == ["timeout", "30", "su", "-", "alice"]
    assert shlex.split(words[6]) == ["cd", "&&", "oarsub", "-p", "host = 'a; rm -rf ~'", "$(id)"]
    assert remote.command_line(["oarstat", "-J"]) == "timeout 60 oarstat -J"
