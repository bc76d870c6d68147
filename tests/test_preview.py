import pytest

from tuneset.preview import make_preview, scrub_patterns


@pytest.mark.parametrize("secret, placeholder", [
    ("jane.doe@example.com", "<EMAIL>"),
    ("sk-proj-Abc123Def456Ghi789Jkl0", "<API_KEY>"),
    ("AKIAIOSFODNN7EXAMPLE", "<API_KEY>"),
    ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "<API_KEY>"),
    ("4111 1111 1111 1111", "<CREDIT_CARD>"),
    ("+44 20 7946 0958", "<PHONE>"),
    ("postgres://admin:S3cr3t!@db.internal:5432/app", "<URL_CREDENTIALS>"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.abcdefghijk", "<JWT>"),
])
def test_secrets_and_pii_never_survive_a_preview(secret, placeholder):
    out = scrub_patterns(f"before {secret} after")
    assert secret not in out and placeholder in out


def test_password_value_hidden_key_kept():
    assert scrub_patterns("password=hunter2") == "password=<SECRET>"


def test_preview_is_bounded_escaped_and_handles_bytes():
    assert len(make_preview("a" * 1000)) == 200
    assert make_preview("bell\x07 nul\x00") == "bell\\x07 nul\\x00"
    assert make_preview(b"caf\xe9") == "caf\\xe9"
    assert make_preview(None) == ""


def test_secret_cut_at_the_edge_is_still_scrubbed():
    text = "x" * 190 + " sk-proj-Abc123Def456Ghi789Jkl0"
    assert "sk-proj" not in make_preview(text)
