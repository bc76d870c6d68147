"""Secrets: every kind of the fixture is found (target 1.0), in prose and in config snippets."""

from __future__ import annotations

from tuneset.scrub.detectors import Detector
from tuneset.scrub.evaluate import evaluate_secrets, secret_fixture
from tuneset.scrub.secrets import find_secrets

from .conftest import cfg


def test_every_secret_kind_is_recalled():
    table = evaluate_secrets(secret_fixture(seed=7), Detector(cfg()))
    kinds = {"API_KEY", "AWS_KEY", "GITHUB_TOKEN", "GITLAB_TOKEN", "SLACK_TOKEN", "JWT", "PRIVATE_KEY", "PASSWORD",
             "SECRET", "URL_CREDENTIALS"}
    assert set(table) == kinds
    assert {k: v["recall"] for k, v in table.items()} == {k: 1.0 for k in kinds}


def test_span_is_the_value_not_the_key_name():
    text = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu-west-1"
    values = {text[m.start:m.end] for m in find_secrets(text)}
    assert values == {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def test_prose_without_a_credential_is_left_alone():
    for text in ("Reset your password from the login page.", "The token expired, please sign in again.",
                 "api_key: <your key here>", "secret = ********"):
        assert list(find_secrets(text)) == [], text
