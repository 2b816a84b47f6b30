from hadrill.redact import REDACTED, Redactor, collect_secrets


def test_secrets_are_found_by_name_vault_url_and_header():
    found = collect_secrets({
        "db_password": "pw-one",
        "app_api_keys": {"default": "key-two"},
        "dsn": "postgresql://app:pw-three@db:5432/app",
        "drill_http_headers": {"Authorization": "Bearer tok-four"},
        "harmless": "just text",
        "nested": {"service_token": "tok-five"},
    })
    assert {"pw-one", "key-two", "pw-three", "Bearer tok-four", "tok-four", "tok-five"} <= found
    assert "just text" not in found


def test_short_values_are_not_treated_as_secrets():
    assert collect_secrets({"db_password": "x"}) == set()


def test_redactor_replaces_longest_first_and_inside_structures():
    redactor = Redactor(["tok-four", "Bearer tok-four"])
    assert redactor.text("Authorization: Bearer tok-four") == f"Authorization: {REDACTED}"
    assert redactor.value({"tok-four": ["a tok-four b"]}) == {REDACTED: [f"a {REDACTED} b"]}
    assert redactor.hits("no secret here") == []
