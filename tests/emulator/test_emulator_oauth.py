"""Server-to-Server OAuth token endpoint and bearer checks on /v2."""

from __future__ import annotations

import requests

from tests.emulator.helpers import (
    ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    FakeClock,
    ZoomClient,
    configure,
    emulator_state,
)
from zoom_emulator import EmulatorServer

GRANT = {"grant_type": "account_credentials", "account_id": ACCOUNT_ID}


def post_token(server: EmulatorServer, auth: tuple[str, str] | None = (CLIENT_ID, CLIENT_SECRET), **kwargs):
    return requests.post(server.token_url, auth=auth, timeout=10, **kwargs)


def test_token_from_form_body(emulator: EmulatorServer) -> None:
    response = post_token(emulator, data=GRANT)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == (
        "imgroup:read:admin imgroup:write:admin contact_group:read:admin contact_group:write:admin user:read:admin"
        " user:write:admin"
    )
    assert body["api_url"] == emulator.url
    assert len(body["access_token"]) >= 32


def test_token_from_query_string_and_each_token_differs(emulator: EmulatorServer) -> None:
    first = post_token(emulator, params=GRANT)
    second = post_token(emulator, params=GRANT)
    assert first.status_code == second.status_code == 200
    assert first.json()["access_token"] != second.json()["access_token"]
    assert emulator_state(emulator)["counters"]["tokens_issued"] == 2


def test_bad_credentials_are_401_and_never_echo_the_secret(emulator: EmulatorServer) -> None:
    wrong = post_token(emulator, auth=(CLIENT_ID, "wrong-secret-4711"), data=GRANT)
    missing = post_token(emulator, auth=None, data=GRANT)
    wrong_id = post_token(emulator, auth=("someone-else", CLIENT_SECRET), data=GRANT)
    for response in (wrong, missing, wrong_id):
        assert response.status_code == 401
        assert response.json() == {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        assert "wrong-secret-4711" not in response.text and CLIENT_SECRET not in response.text
    assert emulator_state(emulator)["counters"]["tokens_issued"] == 0


def test_unsupported_grant_type(emulator: EmulatorServer) -> None:
    response = post_token(emulator, data={**GRANT, "grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json() == {"reason": "unsupported grant type", "error": "unsupported_grant_type"}


def test_wrong_or_missing_account_id(emulator: EmulatorServer) -> None:
    for data in ({**GRANT, "account_id": "another-account"}, {"grant_type": "account_credentials"}):
        response = post_token(emulator, data=data)
        assert response.status_code == 400
        assert response.json() == {"reason": "Invalid account_id", "error": "invalid_request"}


def test_disabled_app(emulator: EmulatorServer) -> None:
    configure(emulator, app_disabled=True)
    response = post_token(emulator, data=GRANT)
    assert response.status_code == 400
    assert response.json() == {"reason": "The app has been disabled.", "error": "invalid_client"}
    configure(emulator, app_disabled=False)
    assert post_token(emulator, data=GRANT).status_code == 200


def test_missing_or_unknown_bearer_token(emulator: EmulatorServer) -> None:
    invalid = {"code": 124, "message": "Invalid access token."}
    groups = f"{emulator.api_url}/im/groups"
    assert requests.get(groups, timeout=10).json() == invalid
    for header in ("Bearer not-a-token", "Basic abc", "Bearer"):
        response = requests.get(groups, headers={"Authorization": header}, timeout=10)
        assert response.status_code == 401
        assert response.json() == invalid


def test_token_expires_after_its_lifetime(api: ZoomClient, clock: FakeClock) -> None:
    clock.advance(3599)
    assert api.get("/im/groups").status_code == 200
    clock.advance(1)
    response = api.get("/im/groups")
    assert response.status_code == 401
    assert response.json() == {"code": 124, "message": "Access token is expired."}


def test_multiple_policy_keeps_older_tokens_valid(api: ZoomClient) -> None:
    old = api.token
    api.authenticate()
    response = api.get("/im/groups", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 200


def test_latest_only_policy_revokes_older_tokens(emulator: EmulatorServer, api: ZoomClient) -> None:
    configure(emulator, token_policy="latest-only")
    old = api.token
    api.authenticate()
    stale = api.get("/im/groups", headers={"Authorization": f"Bearer {old}"})
    assert stale.status_code == 401
    assert stale.json()["message"] == "Invalid access token."
    assert api.get("/im/groups").status_code == 200


def test_invalidate_endpoint_revokes_all_tokens(emulator: EmulatorServer, api: ZoomClient) -> None:
    response = requests.post(f"{emulator.url}/_emulator/tokens/invalidate", timeout=10)
    assert response.json() == {"invalidated": 1}
    assert api.get("/im/groups").status_code == 401
    api.authenticate()
    assert api.get("/im/groups").status_code == 200
