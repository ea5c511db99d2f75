"""scripts/devservices.py and a data directory left by an older PostgreSQL."""

import pytest

from scripts import devservices


def test_the_embedded_server_is_postgresql_18():
    assert devservices.server_major_version() == 18


def test_a_postgresql_16_data_directory_is_refused_with_what_to_do(tmp_path, monkeypatch, capsys):
    (tmp_path / "pg").mkdir()
    (tmp_path / "pg" / "PG_VERSION").write_text("16\n")
    monkeypatch.setenv("MP_DATA_DIR", str(tmp_path))
    # Both services come from the environment but PostgreSQL: nothing else starts.
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delenv("DATABASE_URL", raising=False)

    exit_code = devservices.main(["exec", "--", "true"])

    message = capsys.readouterr().err
    assert exit_code == 1
    assert "made by PostgreSQL 16" in message
    assert "runs PostgreSQL 18" in message
    assert "make clean" in message
    assert "manage.py backup" in message and "manage.py restore" in message
    assert "Traceback" not in message
    # Nothing was started or changed in the old directory.
    assert sorted(path.name for path in (tmp_path / "pg").iterdir()) == ["PG_VERSION"]


@pytest.mark.parametrize("contents", [None, "18\n"])
def test_a_new_or_current_data_directory_is_accepted(tmp_path, contents):
    """The negative control: only another version is refused."""
    if contents is not None:
        (tmp_path / "PG_VERSION").write_text(contents)

    devservices.check_data_directory(tmp_path, 18)
