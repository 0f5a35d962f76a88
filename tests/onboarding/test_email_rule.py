"""One rule for what an e-mail address is: the HR extract and the Zoom user lookup accept the same addresses.

The extract quarantines a row whose address the lookup would refuse, and never the other way round: checked on
generated addresses (near-misses included), through each side's public path.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_zoom.emails import is_email
from airflow_provider_zoom.groups.contact.users import ACTIVE, REJECTED, UserDirectory
from airflow_provider_zoom.onboarding.hr_extract import KIND_EMAIL_INVALID, read_hr_extract
from tests.onboarding.hr_csv import HEADER

# Letters, digits and every character either old rule treated specially; printable only (a control character
# is the extract's own, separate, problem).
_CHARS = st.sampled_from(list("aZ09.-_+%@/\\?#!~'=` ") + ["é"])
ADDRESSES = st.one_of(
    st.text(_CHARS, min_size=1, max_size=24).map(str.strip).filter(bool),
    st.builds(lambda local, domain, tld: f"{local}@{domain}.{tld}",
              st.text(_CHARS, min_size=1, max_size=10), st.text(_CHARS, min_size=0, max_size=8),
              st.text(_CHARS, min_size=0, max_size=4)).map(str.strip).filter(bool),
)


class _AnsweringZoom:
    """The lookup's requester: every user asked for exists and is active (so only the address rule refuses)."""

    log = logging.getLogger("test")
    asked: list[str] = []

    def request(self, method: str, path: str, **kwargs):
        self.asked.append(path)
        return {"id": "u-1", "status": "active"}

    def request_json(self, method: str, path: str, **kwargs):
        return self.request(method, path, **kwargs)


def extract_accepts(address: str) -> bool:
    body = io.StringIO()
    body.write(HEADER + "\n")
    csv.writer(body, lineterminator="\n").writerow(["E1", address, "Ann", "Lee", "Engineering", "London",
                                                    "2026-11-23"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hr.csv"
        path.write_text(body.getvalue(), encoding="utf-8")
        result = read_hr_extract(path)
    if result.hires:
        return True
    assert len(result.problems) == 1, result
    return KIND_EMAIL_INVALID not in result.problems[0].kinds


def lookup_accepts(address: str) -> bool:
    user = UserDirectory(_AnsweringZoom()).resolve(address)
    assert user.state in (ACTIVE, REJECTED)
    return user.state == ACTIVE


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ADDRESSES)
def test_the_extract_and_the_user_lookup_agree_on_every_address(address):
    assert extract_accepts(address) == lookup_accepts(address.lower()) == is_email(address.lower()), address


def test_the_rule_on_addresses_people_write():
    for good in ("ann.lee@example.com", "a+tag@sub.example.co.uk", "o'brien@example.ie", "a%b@example.org"):
        assert is_email(good) and extract_accepts(good) and lookup_accepts(good), good
    for bad in ("ann", "ann@", "@example.com", "ann@example", "ann@@example.com", "ann@exa mple.com", "a/b@x.org",
                "ann@example..com", "ann@.example.com", "ann@example.com.", "a?b@x.org", "a#b@x.org", "a@x%y.org"):
        assert not is_email(bad) and not extract_accepts(bad) and not lookup_accepts(bad), bad
