import pytest

from airflow_provider_zoom.group_spec import InvalidGroupSpec, validate_group_spec


def test_form_fields_match_zoom_curl_example():
    spec = validate_group_spec("  Onboarding 2026-W48 Sales ", "shared", "false", True, "0")
    assert spec.form_fields() == {
        "name": "Onboarding 2026-W48 Sales",
        "type": "shared",
        "search_by_domain": "false",
        "search_by_account": "true",
        "search_by_ma_account": "false",
    }


def test_flags_not_given_are_not_sent():
    assert validate_group_spec("g").form_fields() == {"name": "g", "type": "normal"}


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
