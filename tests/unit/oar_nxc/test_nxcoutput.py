"""Finding why nxc failed in its output."""

from __future__ import annotations

from oar_nxc import nxcoutput

VM = ("Platform detection: local mode will be used\nstart vlan\nError: vde_switch not found, please install vde2\n"
      "Exception ignored in: <function VLan.__del__>\nAttributeError: 'VLan' object has no attribute 'pid'\n")


def test_the_error_line_wins_over_later_noise() -> None:
    assert nxcoutput.error_line(VM) == "Error: vde_switch not found, please install vde2"


def test_spinner_frames_and_colours_are_removed() -> None:
    text = "\x1b[32m⠋ Waiting ssh ports, opened: 0/4\r⠸ Opened ssh ports: 3/4 (30.1s)\x1b[0m\r"
    assert nxcoutput.lines(text) == ["⠋ Waiting ssh ports, opened: 0/4", "⠸ Opened ssh ports: 3/4 (30.1s)"]
    assert nxcoutput.error_line(text) == "⠸ Opened ssh ports: 3/4 (30.1s)"


def test_fallbacks() -> None:
    assert nxcoutput.error_line("/bin/sh: 1: docker: not found\nsomething failed with error 3\ntail\n") == \
        "something failed with error 3"
    assert nxcoutput.error_line("") == "no output"
