from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from conexor.config import ConfigError, Secret, Settings


def test_pepper_file_created_0600_and_reused(tmp_path: Path) -> None:
    first = Settings.build(data_dir=tmp_path, environ={})
    mode = stat.S_IMODE((tmp_path / "pepper").stat().st_mode)
    assert mode == 0o600
    again = Settings.build(data_dir=tmp_path, environ={})
    assert first.pepper.reveal() == again.pepper.reveal()
    assert len(first.pepper.reveal()) == 32
    assert first.store_url == f"sqlite:///{tmp_path / 'conexor.db'}"


def test_pepper_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    Settings.build(data_dir=tmp_path, environ={})
    os.chmod(tmp_path / "pepper", 0o644)
    with pytest.raises(ConfigError, match="mode 0600"):
        Settings.build(data_dir=tmp_path, environ={})


def test_pepper_from_environment(tmp_path: Path) -> None:
    value = bytes(range(32))
    settings = Settings.build(
        data_dir=tmp_path, environ={"CONEXOR_PEPPER": base64.b64encode(value).decode()}
    )
    assert settings.pepper.reveal() == value
    assert not (tmp_path / "pepper").exists()
    with pytest.raises(ConfigError) as bad:
        Settings.build(data_dir=tmp_path, environ={"CONEXOR_PEPPER": "not base64 SECRETVALUE!"})
    assert "SECRETVALUE" not in bad.value.public
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        Settings.build(
            data_dir=tmp_path, environ={"CONEXOR_PEPPER": base64.b64encode(b"x").decode()}
        )


def test_numeric_settings_name_the_setting_not_the_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as bad:
        Settings.build(data_dir=tmp_path, environ={"CONEXOR_KEK_CACHE_TTL": "soon-ish"})
    assert bad.value.public == "CONEXOR_KEK_CACHE_TTL must be a number"


def test_secrets_never_show_in_repr(tmp_path: Path) -> None:
    settings = Settings.build(data_dir=tmp_path, environ={})
    assert repr(Secret(b"hunter2")) == "Secret('***')"
    assert settings.pepper.reveal().hex() not in repr(settings)


def test_server_forwarding_misconfiguration_stops_start_up(tmp_path: Path) -> None:
    from conexor.forward import ForwardError
    from conexor.server.app import create_app

    settings = Settings.build(
        data_dir=tmp_path, environ={"CONEXOR_AUDIT_FORWARD": "ftp://siem.example.com/x"}
    )
    with pytest.raises(ForwardError) as bad:
        create_app(settings)
    assert "\n" not in bad.value.public


def test_hec_token_is_a_secret(tmp_path: Path) -> None:
    settings = Settings.build(data_dir=tmp_path, environ={"CONEXOR_HEC_TOKEN": "hec-SECRET-123"})
    assert settings.hec_token is not None
    assert "hec-SECRET-123" not in repr(settings)
