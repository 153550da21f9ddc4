from __future__ import annotations

import pytest

from oar_nxc.formats.names import G5kName, host_name_problem, is_ipv4, parse_g5k_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dahu-3.grenoble.grid5000.fr", G5kName("dahu", 3, "grenoble")),
        ("clervaux-11.luxembourg.grid5000.fr", G5kName("clervaux", 11, "luxembourg")),
        ("chifflot-2-kavlan-4.lille.grid5000.fr", G5kName("chifflot", 2, "lille", kavlan=4)),
        ("dahu-3-eth1.grenoble.grid5000.fr", G5kName("dahu", 3, "grenoble", iface="eth1")),
        ("dahu-3-kavlan-10-eth2.grenoble.grid5000.fr", G5kName("dahu", 3, "grenoble", kavlan=10, iface="eth2")),
        ("abacus22-7.rennes.grid5000.fr", G5kName("abacus22", 7, "rennes")),
        ("grue-1.nancy.grid5000.fr.", G5kName("grue", 1, "nancy")),
    ],
)
def test_parse_g5k_name(name: str, expected: G5kName) -> None:
    assert parse_g5k_name(name) == expected


@pytest.mark.parametrize("name", ["node1", "frontend", "dahu-3", "10.16.0.7", "dahu.grenoble.grid5000.fr",
                                  "dahu-3.grenoble.example.org"])
def test_parse_g5k_name_rejects_other_names(name: str) -> None:
    assert parse_g5k_name(name) is None


@pytest.mark.parametrize("name", ["node1", "dahu-3.grenoble.grid5000.fr", "10.213.0.11", "a", "x-1.y", "n1."])
def test_valid_host_names(name: str) -> None:
    assert host_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("dahu 3", "'dahu 3' is not a valid host name or IPv4 address (forbidden character ' ')"),
        ("a;b", "'a;b' is not a valid host name or IPv4 address (forbidden character ';')"),
        ("$(id)", "'$(id)' is not a valid host name or IPv4 address (forbidden character '$', '(', ')')"),
        ("`id`", "'`id`' is not a valid host name or IPv4 address (forbidden character '`')"),
        ("a|b", "'a|b' is not a valid host name or IPv4 address (forbidden character '|')"),
        ("-node", "'-node' is not a valid host name or IPv4 address"),
        ("10.0.0.300", "'10.0.0.300' is not a valid IPv4 address"),
        ("", "empty host name"),
    ],
)
def test_invalid_host_names(name: str, problem: str) -> None:
    assert host_name_problem(name) == problem


def test_is_ipv4() -> None:
    assert is_ipv4("10.16.0.7")
    assert not is_ipv4("10.16.0")
    assert not is_ipv4("node1")


@pytest.mark.parametrize(("value", "reads_as"), [("0x7f.0.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
                                                 ("0x7f000001", "127.0.0.1"), ("0xa.0xd5.0.0xb", "10.213.0.11")])
def test_ipv4_shorthand_is_refused_everywhere(value: str, reads_as: str) -> None:
    assert host_name_problem(value) == (f"'{value}' is an IPv4 address in a shorthand form (the C library reads it "
                                        f"as {reads_as}): give it as a dotted quad")


@pytest.mark.parametrize(("value", "kind"), [("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"),
                                             ("0.0.0.0", "unspecified")])  # noqa: S104 (a refused value)
def test_this_machines_own_address_is_no_reserved_machine(value: str, kind: str) -> None:
    from oar_nxc.formats.names import machine_name_problem

    assert host_name_problem(value) is None  # a deployment's vm hosts are reached on 127.0.0.1
    assert machine_name_problem(value) == (
        f"'{value}' is this machine's own address ({kind}): a reserved machine cannot be the controller, whose plays "
        "(hosts: localhost) would run on it")


def test_names_that_only_look_numeric_stay_names() -> None:
    from oar_nxc.formats.names import machine_name_problem

    for name in ("dahu-7.grenoble.grid5000.fr", "10x.example", "a0x7f.1", "oarnode1"):
        assert machine_name_problem(name) is None, name
