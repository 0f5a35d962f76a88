"""``redact`` finds a credential in every form it takes on the wire, and text is redacted before it is cut."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from airflow_provider_zoom._transport.masking import basic_credential_forms, redact, redact_then_cut

CLIENT_ID = "cidXYZ"
SECRETS = ["Sec>r?s3cr3t-value", "Sécret-ÿ-Ünïcode-42", "pl/us+&=secret w space"]


def _basic(client_id: str, secret: str, encoding: str) -> str:
    return base64.b64encode(f"{client_id}:{secret}".encode(encoding)).decode()


def _every_form(secret: str) -> list[str]:
    raw = f"{CLIENT_ID}:{secret}"
    forms = [secret, raw]
    for value in (secret, raw):
        forms += [json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
                  json.dumps(value)[1:-1].replace("/", "\\/"),
                  urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value),
                  urllib.parse.quote(value, safe="", encoding="latin-1"),
                  urllib.parse.quote_plus(value, encoding="latin-1")]
    for encoding in ("latin-1", "utf-8"):
        data = raw.encode(encoding)
        forms += [base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode(),
                  base64.b64encode(data).decode().rstrip("=")]
    return list(dict.fromkeys(forms))


def _fragments(secret: str) -> set[str]:
    """Every run of 4 or more characters of the Base64 credential, Latin-1 and UTF-8."""
    return {
        encoded[i:j]
        for encoding in ("latin-1", "utf-8")
        for encoded in (_basic(CLIENT_ID, secret, encoding),)
        for i in range(len(encoded))
        for j in range(i + 4, len(encoded) + 1)
    }


def _secrets(secret: str) -> list[str]:
    return [secret, *basic_credential_forms(CLIENT_ID, secret)]


@pytest.mark.parametrize("secret", SECRETS)
def test_every_wire_form_of_the_secret_is_redacted(secret):
    for form in _every_form(secret):
        text = f"gateway said: <{form}> end"
        shown = redact(text, _secrets(secret))
        assert form not in shown and "***" in shown, (form, shown)
        assert shown.startswith("gateway said: <") and shown.endswith("> end")


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("encoding", ["latin-1", "utf-8"])
def test_a_base64_credential_cut_anywhere_leaves_no_four_characters(secret, encoding):
    encoded = _basic(CLIENT_ID, secret, encoding)
    for start in range(len(encoded) - 3):
        for end in (start + 4, start + 9, len(encoded)):
            text = f"Authorization: Basic {encoded[start:end]}"
            shown = redact(text, _secrets(secret))
            assert not any(fragment in shown for fragment in _fragments(secret)), (text, shown)


def test_the_padded_echo_of_the_issue_keeps_nothing_of_the_credential():
    """160 characters of padding, then the echoed header: cut to 200 only after redaction."""
    secret = "Sec>r?s3cr3t-value"
    echo = "x" * 160 + f"Authorization: Basic {_basic(CLIENT_ID, secret, 'latin-1')}"
    shown = redact_then_cut(echo, _secrets(secret), 200)
    assert shown.endswith("Authorization: ***")
    assert not any(fragment in shown for fragment in _fragments(secret))
    # the order matters: cut first, the head of the credential survives
    cut_first = redact(echo[:200], [secret, f"Basic {_basic(CLIENT_ID, secret, 'latin-1')}"])
    assert any(fragment in cut_first for fragment in _fragments(secret))


def test_redact_then_cut_marks_the_cut_and_keeps_short_text():
    assert redact_then_cut("short", ["secret-x"], 200) == "short"
    assert redact_then_cut("a" * 300, [], 200) == "a" * 197 + "..."


def test_ordinary_text_is_left_alone():
    text = "Invalid access token. Check the Client ID, Client Secret and Account ID."
    assert redact(text, _secrets("Sec>r?s3cr3t-value")) == text


def test_a_secret_outside_latin1_still_has_its_utf8_forms():
    forms = basic_credential_forms(CLIENT_ID, "秘密-secret-€")
    assert _basic(CLIENT_ID, "秘密-secret-€", "utf-8") in forms
