import shutil

import pytest

from tuneset import config
from tuneset.cli import main as cli

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_committed_params_yaml_matches_conf():
    assert not config.params_stale(REPO / "conf", REPO / "params.yaml"), config.STALE_MESSAGE


def test_every_section_loads_from_committed_params():
    params = config.read_params(REPO / "params.yaml")
    assert config.load_section("split", params).ratios == {"train": 0.8, "val": 0.1, "test": 0.1}
    assert config.load_section("target", params).tokenizer == "o200k_base"
    assert config.load_section("export", params).preference_format == "trl"
    assert all(s.glob for s in config.load_sources(params).values())


@pytest.mark.parametrize("section, values, message", [
    ("split", {"salt": "x", "ratio": {}}, "split.ratio"),
    ("target", {"context_tokens": "many"}, "target.context_tokens"),
    ("split", {"ratios": {"train": 0.5, "val": 0.1, "test": 0.1}}, "sum to 1"),
    ("export", {"preference_format": "kto"}, "export.preference_format"),
    ("normalize", {"system_prompt": "sometimes"}, "normalize.system_prompt"),
])
def test_wrong_keys_and_types_are_errors_naming_the_key(section, values, message):
    with pytest.raises(config.ConfigError, match=message.replace(".", r"\.")):
        config.load_section(section, {section: values})


def test_source_errors_name_the_source():
    with pytest.raises(config.ConfigError, match=r"sources\.tickets\.format"):
        config.load_sources({"sources": {"tickets": {"glob": "x", "format": "xml"}}})
    with pytest.raises(config.ConfigError, match=r"sources\.tickets\.colums"):
        config.load_sources({"sources": {"tickets": {"glob": "x", "colums": {}}}})


def test_check_detects_a_conf_edit_and_config_regenerates(tmp_path, monkeypatch, capsys):
    shutil.copytree(REPO / "conf", tmp_path / "conf")
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    assert cli(["config", "--check"]) == 0
    (tmp_path / "conf/split/default.yaml").write_text("ratios: {train: 0.7, val: 0.15, test: 0.15}\nsalt: v2\n")
    assert cli(["config", "--check"]) == 1
    assert "params.yaml is stale" in capsys.readouterr().err
    assert cli(["config"]) == 0
    assert cli(["config", "--check"]) == 0
    assert config.load_section("split", config.read_params("params.yaml")).salt == "v2"


def test_describe_lists_every_key_with_type_default_and_help():
    text = config.describe()
    for key in ("sources.<name>.glob", "target.context_tokens", "split.salt", "export.preference_format"):
        assert key in text
    assert "default 8192" in text
