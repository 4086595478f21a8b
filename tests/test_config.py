"""Experiment configs: TOML round trips exactly (None included) and values are checked against their types."""

from __future__ import annotations

import dataclasses
import tomllib
import types
from typing import Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genrekit.config import DataConfig, ExperimentConfig, from_dict, load_config, to_toml
from genrekit.errors import ConfigError


def round_trip(config: ExperimentConfig) -> ExperimentConfig:
    return from_dict(ExperimentConfig, tomllib.loads(to_toml(config.to_dict())))


# --------------------------------------------------------------------------- None survives a run folder


def test_none_where_the_default_is_a_value_round_trips():
    config = ExperimentConfig()
    config.data.clip_seconds = None  # whole tracks; the default is 30.0
    assert round_trip(config).data.clip_seconds is None
    assert round_trip(config) == config


def test_run_folder_reads_back_none(tmp_path):
    from genrekit.runs import RunInfo, read_run, write_run_record

    config = ExperimentConfig(name="whole")
    config.data.clip_seconds = None
    config.model.params = {"max_depth": None, "C": [0.1, 1.0]}
    info = RunInfo(family="classic", model="logreg", input="features", dataset="synthetic", split_kind="artist")
    write_run_record(tmp_path, info=info, config=config, labels=["a", "b"])
    assert read_run(tmp_path).config == config


def test_old_run_folders_without_the_unset_list_still_load():
    text = 'name = "old"\n\n[data]\nsource = "synthetic"\nchunk_seconds = 3.0\n\n[model]\nname = "logreg"\n'
    config = from_dict(ExperimentConfig, tomllib.loads(text))
    assert (config.name, config.data.chunk_seconds, config.data.clip_seconds) == ("old", 3.0, 30.0)


def test_unset_list_in_a_file_and_overrides_after_it(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text('name = "x"\nunset = ["data.clip_seconds", "model.params.max_depth"]\n\n[model]\nname = "rf"\n')
    config = load_config(path)
    assert config.data.clip_seconds is None and config.model.params == {"max_depth": None}
    # --set is applied after the file's unset list (resuming a run may change an unset field)
    assert load_config(path, ["data.clip_seconds=10"]).data.clip_seconds == 10.0
    assert load_config(None, ["data.clip_seconds=none"]).data.clip_seconds is None


@pytest.mark.parametrize("unset, message", [
    ('"data.clip_seconds"', "must be a list"),
    ('["data.nope"]', "unknown config key 'data.nope'"),
    ('["data..x"]', "not a dotted field name"),
    ('["train.epochs"]', "train.epochs must be an integer, got None"),
    ('["data.seed.x"]', "'data.seed' is a value"),
])
def test_bad_unset_lists_are_config_errors(unset, message):
    with pytest.raises(ConfigError, match=message):
        from_dict(ExperimentConfig, tomllib.loads(f"unset = {unset}\n[data]\nseed = 1\n"))


def test_a_field_both_set_and_unset_is_an_error():
    with pytest.raises(ConfigError, match="both given a value and listed"):
        from_dict(ExperimentConfig, tomllib.loads('unset = ["data.clip_seconds"]\n[data]\nclip_seconds = 3.0\n'))


def test_awkward_strings_and_keys_are_escaped():
    config = ExperimentConfig(name='quote " backslash \\ newline \n tab \t nul \x00 del \x7f é')
    config.model.params = {"odd key.with dot": None, "": 1, "prompts": ['a "{genre}" song\n'], "nested": {"deep": {}}}
    assert round_trip(config) == config


def test_none_inside_an_array_is_refused():
    config = ExperimentConfig()
    config.model.params = {"C": [1.0, None]}
    with pytest.raises(ConfigError, match="None inside an array"):
        to_toml(config.to_dict())


# --------------------------------------------------------------------------- property: every field, every type

_INT = st.integers(min_value=-(2**63), max_value=2**63 - 1)  # TOML integers are 64-bit
_FLOAT = st.floats(allow_nan=False)  # NaN round trips, but never equals itself
_SCALAR = st.one_of(_INT, _FLOAT, st.booleans(), st.text())
# values TOML can hold inside arrays and inline tables: no None there
_IN_ARRAY = st.recursive(
    _SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3), max_leaves=8
)
# model.params: a table whose values may be None (listed in 'unset') or sub-tables
_PARAMS = st.recursive(
    st.dictionaries(st.text(), st.none() | _IN_ARRAY, max_size=4),
    lambda inner: st.dictionaries(st.text(), st.none() | _IN_ARRAY | inner, max_size=3),
    max_leaves=12,
)
_BY_TYPE = {int: _INT, float: _FLOAT, bool: st.booleans(), str: st.text(), dict: _PARAMS}


def _strategy(hint):
    if dataclasses.is_dataclass(hint):
        hints = get_type_hints(hint)
        return st.builds(hint, **{f.name: _strategy(hints[f.name]) for f in dataclasses.fields(hint)})
    if get_origin(hint) in (Union, types.UnionType):
        return st.one_of(*(st.none() if arg is type(None) else _strategy(arg) for arg in get_args(hint)))
    return _BY_TYPE[get_origin(hint) or hint]  # a KeyError here: a new field type needs a strategy


def test_strategies_cover_every_field():
    def leaves(cls):
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            yield from leaves(hints[f.name]) if dataclasses.is_dataclass(hints[f.name]) else [hints[f.name]]

    for hint in leaves(ExperimentConfig):
        _strategy(hint)


@settings(max_examples=200, deadline=None)
@given(_strategy(ExperimentConfig))
def test_every_config_round_trips_exactly(config):
    back = round_trip(config)
    assert back == config
    # exact types too: an int stays an int, a float a float (0.0 == 0 would hide a change)
    for section in ("data", "features", "model", "train"):
        for f in dataclasses.fields(getattr(config, section)):
            assert type(getattr(back, section).__dict__[f.name]) is type(getattr(config, section).__dict__[f.name]), f.name


# --------------------------------------------------------------------------- --set values coerced or rejected


@pytest.mark.parametrize("override, field, expected", [
    ("train.epochs=5", "train.epochs", 5),
    ("train.epochs=5.0", "train.epochs", 5),
    ("train.epochs=05", "train.epochs", 5),  # not TOML (leading zero): read as text, then as an integer
    ("train.lr=1", "train.lr", 1.0),
    ("train.lr=.5", "train.lr", 0.5),
    ("train.augment=true", "train.augment", True),
    ("train.augment=False", "train.augment", False),
    ("data.clip_seconds=10", "data.clip_seconds", 10.0),
    ("data.clip_seconds=none", "data.clip_seconds", None),
    ("data.limit_per_genre=4.0", "data.limit_per_genre", 4),
    ("train.class_weight=balanced", "train.class_weight", "balanced"),
    ("train.class_weight=none", "train.class_weight", None),
    ("model.params.C=[0.1,1.0]", "model.params", {"C": [0.1, 1.0]}),
])
def test_set_values_are_coerced(override, field, expected):
    section, name = field.split(".")
    value = getattr(getattr(load_config(None, [override]), section), name)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("override, message", [
    ("train.epochs=abc", "train.epochs must be an integer, got 'abc'"),
    ("train.epochs=1.5", "train.epochs must be an integer, got 1.5"),
    ("train.epochs=true", "train.epochs must be an integer, got True"),
    ("train.epochs=none", "train.epochs must be an integer, got None"),
    ("train.lr=fast", "train.lr must be a number, got 'fast'"),
    ("train.augment=1", "train.augment must be true or false, got 1"),
    ("train.augment=yes", "train.augment must be true or false, got 'yes'"),
    ("data.source=3", "data.source must be a string, got 3"),
    ("data.limit_per_genre=many", "data.limit_per_genre must be an integer or none, got 'many'"),
    ("features.embedding=[1]", r"features.embedding must be a string or none, got \[1\]"),
    ("model.params=3", "model.params must be a table, got 3"),
    ("train.epochs.x=3", r"train.epochs must be an integer, got \{'x': 3\}"),
])
def test_bad_set_values_name_the_field_and_type(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, [override])


def test_an_override_below_a_value_is_an_error():
    with pytest.raises(ConfigError, match="'train.epochs' is a value, not a table"):
        load_config(None, ["train.epochs=3", "train.epochs.x=3"])


def test_config_files_are_checked_too(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text('[train]\nepochs = "12"\nlr = 1\n')
    config = load_config(path)
    assert (config.train.epochs, config.train.lr) == (12, 1.0) and type(config.train.lr) is float
    path.write_text('[train]\nsearch = "maybe"\n')
    with pytest.raises(ConfigError, match="train.search must be true or false, got 'maybe'"):
        load_config(path)


def test_data_overrides_of_evaluate_are_checked():
    with pytest.raises(ConfigError, match="data.seed must be an integer"):
        from_dict(DataConfig, {"seed": "x"}, where="data.")
