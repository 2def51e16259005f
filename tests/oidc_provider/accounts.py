"""The people the test provider knows, and the citizen IDs the tests give their OpenDMC users."""

from tests.factories import make_citizen_id

PASSWORD = "pw-provider"
DIRECTOR_PID = make_citizen_id(770001)
STRANGER_PID = make_citizen_id(770002)


def _account(pid: str | None, *, amr=("pwd",), acr: str | None = None, fault: str = "") -> dict:
    claims = {"amr": list(amr)}
    if pid is not None:
        claims["pid"] = pid
    if acr is not None:
        claims["acr"] = acr
    return {"password": PASSWORD, "claims": claims, "fault": fault}


ACCOUNTS = {
    "director": _account(DIRECTOR_PID),
    "director.mfa": _account(DIRECTOR_PID, amr=("pwd", "mfa")),
    "director.ial": _account(DIRECTOR_PID, acr="urn:thaid:ial:2.3"),
    "stranger": _account(STRANGER_PID),
    "nopid": _account(None),
    "forged": _account(DIRECTOR_PID, fault="key"),
    "elsewhere": _account(DIRECTOR_PID, fault="audience"),
    "late": _account(DIRECTOR_PID, fault="expired"),
}
