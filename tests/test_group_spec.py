import pytest

from airflow_provider_zoom.group_spec import InvalidGroupSpec, group_key, normalize_group_name, validate_group_spec
from airflow_provider_zoom.groups.im import im_form_fields


def test_form_fields_match_zoom_curl_example():
    spec = validate_group_spec("  Onboarding 2026-W48 Sales ", "shared", "false", True, "0")
    assert im_form_fields(spec) == {
        "name": "Onboarding 2026-W48 Sales",
        "type": "shared",
        "search_by_domain": "false",
        "search_by_account": "true",
        "search_by_ma_account": "false",
    }


def test_flags_not_given_are_not_sent():
    assert im_form_fields(validate_group_spec("g")) == {"name": "g", "type": "normal"}


@pytest.mark.parametrize("text, expected", [("true", True), ("False", False), ("1", True), ("0", False),
                                             ("yes", True), ("NO", False), (1, True), (False, False)])
def test_boolean_strings_from_templates(text, expected):
    assert validate_group_spec("g", search_by_domain=text).search_by_domain is expected


@pytest.mark.parametrize(
    "kwargs, field, fragment",
    [
        ({"name": "   "}, "name", "must not be empty"),
        ({"name": "x" * 129}, "name", "129 characters long, Zoom allows at most 128"),
        ({"name": 42}, "name", "must be a string"),
        ({"name": "g", "type": "private"}, "type", "normal, shared, restricted"),
        ({"name": "g", "search_by_account": "maybe"}, "search_by_account", "expected a boolean"),
        ({"name": "g", "search_by_domain": 2}, "search_by_domain", "expected a boolean"),
    ],
)
def test_invalid_values_name_the_field_and_value(kwargs, field, fragment):
    with pytest.raises(InvalidGroupSpec) as info:
        validate_group_spec(**kwargs)
    assert info.value.field == field
    assert fragment in str(info.value)
    assert repr(kwargs.get(field, kwargs.get("name")))[:20] in str(info.value)


def test_128_characters_after_trimming_is_accepted():
    assert validate_group_spec("  " + "x" * 128 + "  ").name == "x" * 128


# --- one identity per group name, one shown form ----------------------------------------------------


@pytest.mark.parametrize(
    "variant", ["support", " SUPPORT ", "Sup\u200bport", "Ｓｕｐｐｏｒｔ", "Support\u00a0", "Sup\u00adport", "\ufeffSupport"]
)
def test_group_key_is_one_identity_for_case_width_and_invisible_variants(variant):
    assert group_key(variant) == group_key("Support") == "support"


def test_group_key_collapses_inner_space_and_never_raises():
    assert group_key("Customer\u00a0 \u3000Success") == group_key("customer success")
    for hostile in ("Sa\u202eles", "Sa\tles", "\x00", "", 42):
        assert isinstance(group_key(hostile), str)


def test_normalize_group_name_keeps_case_and_drops_harmless_invisibles():
    assert normalize_group_name("  Sup\u200bport\u00a0 Team ") == "Support Team"
    assert normalize_group_name("Ｓａｌｅｓ") == "Sales"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Sa\u202eles", "bidi control U+202E RIGHT-TO-LEFT OVERRIDE at position 3"),
        ("Sales\u2067", "bidi control U+2067 RIGHT-TO-LEFT ISOLATE at position 6"),
        ("Sa\tles", "control character U+0009 TAB at position 3"),
        ("Sa\x07les", "control character U+0007 CONTROL at position 3"),
    ],
)
def test_control_and_bidi_characters_are_refused_naming_character_and_position(name, fragment):
    with pytest.raises(InvalidGroupSpec) as info:
        validate_group_spec(name)
    assert info.value.field == "name" and fragment in str(info.value)
