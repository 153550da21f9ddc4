"""OAR 2.5 and OAR 3 command output."""

from __future__ import annotations

import pytest

from oar_nxc.errors import SourceError
from oar_nxc.oar import output as oarjson

OARNODES_25 = ('{\n   "oarnode2" : {\n      "3" : "Alive",\n      "4" : "Alive"\n   },\n'
               '   "oarnode3" : {"5": "Suspected"}\n}')
OARNODES_3 = '[{"node1": [{"1": "Alive"}, {"2": "Alive"}]}, {"node2": [{"3": "Absent"}]}]'
OARSTAT_F_25 = ('{"7":{"Job_Id":7,"state":"Terminated","exit_code":768,"assigned_network_address":["oarnode2"],'
                '"launchingDirectory":"/home/oartest","stdout_file":"OAR.7.stdout"}}')
OARSTAT_F_3 = '{"8": {"id": 8, "state": "Error", "exit_code": null, "launching_directory": "/home/user1"}}'


def test_job_id_takes_only_the_job_id_line() -> None:
    out = "[ADMISSION RULE] Modify resource description with type constraints\nOAR_JOB_ID=42\n"
    assert oarjson.job_id(out) == 42
    with pytest.raises(SourceError) as err:
        oarjson.job_id("# ADMISSION RULE> refused\n")
    assert str(err.value) == "oarsub: no OAR_JOB_ID= line (last line: # ADMISSION RULE> refused)"


def test_node_states_both_shapes() -> None:
    assert oarjson.node_states(OARNODES_25) == {"oarnode2": ["Alive", "Alive"], "oarnode3": ["Suspected"]}
    assert oarjson.node_states(OARNODES_3) == {"node1": ["Alive", "Alive"], "node2": ["Absent"]}
    with pytest.raises(SourceError, match=r"neither the OAR 2.5 object nor the OAR 3 list"):
        oarjson.node_states("[1, 2]")
    with pytest.raises(SourceError, match=r"oarnodes -s -J:1: invalid JSON"):
        oarjson.node_states("oops")


def test_not_alive_names_each_problem() -> None:
    states = oarjson.node_states(OARNODES_25)
    assert oarjson.not_alive(states, ["oarnode2", "oarnode3", "oarnode9"]) == [
        "oarnode3: Suspected", "oarnode9: no resource"]
    assert oarjson.not_alive(states, ["oarnode2"]) == []


def test_job_state() -> None:
    assert oarjson.job_state('{\n   "3" : "Running"\n}', 3) == "Running"
    assert oarjson.job_state("{}", 3) is None


def test_job_info_25_and_3() -> None:
    info = oarjson.job_info(OARSTAT_F_25, 7)
    assert (info.state, info.exit_code, info.exit_status, info.signal) == ("Terminated", 768, 3, 0)
    assert info.network_addresses == ["oarnode2"]
    assert info.launching_directory == "/home/oartest"
    three = oarjson.job_info(OARSTAT_F_3, 8)
    assert (three.state, three.exit_code, three.exit_status, three.network_addresses) == ("Error", None, None, None)
    assert three.launching_directory == "/home/user1"
    with pytest.raises(SourceError, match=r"no job 9 in the output"):
        oarjson.job_info(OARSTAT_F_3, 9)


def test_version() -> None:
    assert oarjson.version("OAR version : 2.5.9 (Canicule)") == (2, 5, 9)
    assert oarjson.version("3.0.0") == (3, 0, 0)
    assert oarjson.version("unknown") is None
    assert oarjson.version("OAR version : 3.0.3dev") == (3, 0, 3)


def test_version_line_is_what_oarsub_printed() -> None:
    assert oarjson.version_line("OAR version : 2.5.9 (Canicule)\n") == "2.5.9 (Canicule)"
    assert oarjson.version_line("OAR version : 3.0.3dev\n") == "3.0.3dev"  # recorded on the testbed's OAR 3
    assert oarjson.version_line("Usage: oarsub [OPTIONS]\n") == ""


# oarsub -r's answers, as the testbed's OAR 2.5.9 and OAR 3 printed them (OAR 3 on stderr)
OARSUB_R_25 = ("[ADMISSION RULE] Modify resource description with type constraints\nOAR_JOB_ID=20\n"
               "Reservation mode: waiting validation...\nReservation valid --> OK\n")
OARSUB_R_3 = ("OAR_JOB_ID=19\n# INFO:  Moldable instance:  1  Estimated nb resources:  2  Walltime:  60\n"
              "Advance reservation request: waiting for approval from the scheduler...\n"
              "Advance reservation is GRANTED.\n")


@pytest.mark.parametrize(("text", "verdict"), [
    (OARSUB_R_25, (True, "Reservation valid --> OK")),
    (OARSUB_R_3, (True, "Advance reservation is GRANTED.")),
    (OARSUB_R_25.replace("--> OK", "--> KO"), (False, "Reservation valid --> KO")),
    (OARSUB_R_3.replace("GRANTED", "REJECTED"), (False, "Advance reservation is REJECTED.")),
    ("OAR_JOB_ID=19\nReservation mode: waiting validation...\n", None),  # no verdict: neither
    ("note: Advance reservation is GRANTED. (quoted, not OAR's line)\n", None),
])
def test_reservation_verdict_of_both_generations(text: str, verdict: tuple[bool, str] | None) -> None:
    assert oarjson.reservation_verdict(text) == verdict


def test_text_field_reads_oar_3s_padded_lines() -> None:
    text = ("id: 29\n    initial_request = -l nodes=3,walltime=0:10:00 sleep 600                     \n"
            "    walltime = 600                                                              \n")
    assert oarjson.text_field(text, "walltime") == "600"
    assert oarjson.text_field(text, "initial_request") == "-l nodes=3,walltime=0:10:00 sleep 600"
    assert oarjson.text_field(text, "state") is None
    assert oarjson.text_field("walltime = 600\n", "walltime") is None  # not indented: not a field line
