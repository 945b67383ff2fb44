"""ZHITONG_RECORDINGS_DIR is where the app reads Asterisk's recordings (the dialplan's ZT_RECDIR, seen
through a shared volume): the setting is read, kept in the demo, and the recording a voice message
names is found, digested and served from that folder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from callcenter.app import build_services
from callcenter.settings import DEFAULT_RECORDINGS_DIR, Settings

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_the_setting_is_read_and_the_demo_keeps_an_explicit_folder(tmp_path: Path) -> None:
    assert Settings.from_env({}).recordings_dir == DEFAULT_RECORDINGS_DIR
    settings = Settings.from_env({"ZHITONG_RECORDINGS_DIR": str(tmp_path / "recordings")})
    assert settings.recordings_dir == str(tmp_path / "recordings")
    assert settings.for_demo().recordings_dir == str(tmp_path / "recordings")


async def test_a_reported_recording_is_read_from_that_folder(tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40)
    (folder / "msg-1795435368.7-0a1b2c3d.wav").write_bytes(wav)
    settings = Settings.from_env({"ZHITONG_RECORDINGS_DIR": str(folder),
                                  "ZHITONG_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/unused.sqlite3",
                                  "ZHITONG_BLOB_DIR": str(tmp_path / "blobs")})
    services = build_services(settings, clock=lambda: NOW)
    try:
        # Asterisk reports its own path; only the name counts, looked up in our folder.
        reported = "/var/spool/asterisk/zhitong/recordings/msg-1795435368.7-0a1b2c3d.wav"
        assert services.blobs.recording_file(reported) == folder / "msg-1795435368.7-0a1b2c3d.wav"
        size, sha = services.blobs.files.digest("recordings", "msg-1795435368.7-0a1b2c3d.wav", 1 << 20)
        assert size == len(wav) and len(sha) == 64
    finally:
        await services.engine.dispose()
