import stat
import time

from airflow_provider_zoom._transport.oauth import AccessToken, S2SCredentials
from airflow_provider_zoom._transport.token_cache import FileTokenCache, ProcessTokenCache

CREDS = S2SCredentials("http://zoom/oauth/token", "client", "s3cret", "acct")


class Issuer:
    def __init__(self):
        self.issued = 0

    def __call__(self):
        self.issued += 1
        return AccessToken(f"token-{self.issued}", time.time() + 3600)


def test_process_cache_fetches_once_and_renews_after_rejection():
    cache, issuer = ProcessTokenCache(), Issuer()
    assert cache.get(CREDS, issuer) == cache.get(CREDS, issuer) == "token-1"
    cache.invalidate(CREDS, "token-1")
    assert cache.get(CREDS, issuer) == "token-2"
    cache.invalidate(CREDS, "token-1")  # a late rejection of the old token keeps the new one
    assert cache.get(CREDS, issuer) == "token-2"
    assert issuer.issued == 2


def test_expired_token_is_renewed():
    cache, issuer = ProcessTokenCache(), Issuer()
    cache.get(CREDS, lambda: AccessToken("old", time.time() - 1))
    assert cache.get(CREDS, issuer) == "token-1"


def test_processes_on_one_machine_share_one_token_through_the_file(tmp_path):
    issuer = Issuer()
    first, second = FileTokenCache(tmp_path), FileTokenCache(tmp_path)  # as two processes would
    assert first.get(CREDS, issuer) == "token-1"
    assert second.get(CREDS, issuer) == "token-1"
    # Zoom rejects token-1 (latest-only policy, or revoked): one renewal serves both.
    second.invalidate(CREDS, "token-1")
    assert second.get(CREDS, issuer) == "token-2"
    first.invalidate(CREDS, "token-1")
    assert first.get(CREDS, issuer) == "token-2"
    assert issuer.issued == 2


def test_token_file_is_private_and_holds_no_client_secret(tmp_path):
    FileTokenCache(tmp_path / "tokens").get(CREDS, Issuer())
    (token_file,) = (tmp_path / "tokens").glob("zoom-token-*.json")
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "tokens").stat().st_mode) == 0o700
    assert "s3cret" not in token_file.read_text()
