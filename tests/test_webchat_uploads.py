"""Issue 19, item 3: screenshots and PDFs from the web chat, on SQLite and PostgreSQL.

Through the in-process gateway (Rasa faked): a file becomes a desk attachment the
agent opens like a Telegram photo; an image's EXIF (GPS, camera) and comments are
gone from the stored bytes; a file name holding a secret is redacted; bad input (too
large, not an image by its bytes, a zip, empty, truncated) is refused in the page's
language and leaves nothing behind, in the database or on disk.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from common.settings import ROOT
from connectors.webchat._uploads import MEDIA
from store.db import make_engine, session_factory
from store.models import Message
from tests.support.gateway import Gateway
from tests.support.randomness import recovery_phrase, seeded

GPS_IFD = 0x8825
MODEL = 0x0110
ORIENTATION = 0x0112
CAMERA = "Secret-Phone-Model-XY"
COMMENT = b"taken at home, 12 Example Street"


def picture(fmt: str = "PNG", size: tuple[int, int] = (120, 80), **save: Any) -> bytes:
    image = Image.new("RGB", size, (40, 90, 200))
    image.paste((250, 250, 250), (0, 0, size[0] // 2, size[1] // 4))  # not one flat colour
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def gps_jpeg() -> bytes:
    """A JPEG as a phone writes it: GPS position, camera model, a comment, rotated."""
    exif = Image.Exif()
    exif[MODEL] = CAMERA
    exif[ORIENTATION] = 6  # "rotate 90° clockwise to view"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 29.0)})
    return picture("JPEG", (120, 80), exif=exif, comment=COMMENT)


def upload(
    gateway: Gateway,
    visitor: dict[str, str],
    data: Any,
    name: str = "screenshot.png",
    **query: str,
) -> httpx.Response:
    return gateway.client.post(
        "/webchat/api/uploads",
        params=query,
        content=data,
        headers={"Authorization": visitor["Authorization"], "X-File-Name": name},
    )


def stored_messages(gateway: Gateway) -> list[Message]:
    engine = make_engine(gateway.url)
    with session_factory(engine)() as db:
        rows = list(db.execute(select(Message).order_by(Message.id)).scalars())
    engine.dispose()
    return rows


def files_on_disk() -> set[Path]:
    return set(MEDIA.glob("*")) if MEDIA.exists() else set()


@pytest.fixture
def cleanup() -> Iterator[None]:
    """The files a test stored are deleted after it (the retention job would, later)."""
    before = files_on_disk()
    yield
    for path in files_on_disk() - before:
        path.unlink(missing_ok=True)


def open_session(gateway: Gateway, visitor: dict[str, str]) -> tuple[dict[str, str], Any]:
    """The user asks for a human; an agent opens the session: (agent, its detail)."""
    agent = gateway.agent("dana@example.com")
    assert gateway.say(visitor, "human", language="en").status_code == 200
    [session] = gateway.queue(agent)
    detail = gateway.client.get(f"/api/agent/sessions/{session['id']}", headers=agent)
    assert detail.status_code == 200, detail.text
    return agent, detail.json()


def test_a_screenshot_becomes_a_desk_attachment_the_agent_opens(
    gateway: Gateway, cleanup: None
) -> None:
    visitor = gateway.visitor("en")
    png = picture("PNG")
    response = upload(gateway, visitor, png, name="transfer%20proof.png", language="en")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"]["file"] == {"kind": "image", "name": "transfer proof.png"}
    # A file without words is not the bot's to read: kept for the agent, the user told.
    assert [r["author"] for r in body["replies"]] == ["system"]
    assert "agent" in body["replies"][0]["text"]
    assert gateway.rasa.calls == []
    agent, detail = open_session(gateway, visitor)
    [shot] = [m for m in detail["messages"] if m["attachment"]]
    assert shot["attachment"]["kind"] == "image"
    assert shot["attachment"]["name"] == "transfer proof.png"
    assert shot["attachment"]["mime"] == "image/png"
    assert shot["attachment"]["path"].startswith("var/media/webchat/")
    seen = gateway.client.get(f"/api/agent/media/{shot['id']}", headers=agent)
    assert seen.status_code == 200 and seen.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(seen.content)).size == (120, 80)
    # The user's own page gets it back with their token, and nobody else does.
    mine = gateway.client.get(
        f"/webchat/api/files/{shot['id']}", headers={"Authorization": visitor["Authorization"]}
    )
    assert mine.status_code == 200 and mine.content == seen.content
    stranger = gateway.visitor("en")
    other = gateway.client.get(
        f"/webchat/api/files/{shot['id']}", headers={"Authorization": stranger["Authorization"]}
    )
    assert other.status_code == 404
    assert gateway.client.get(f"/webchat/api/files/{shot['id']}").status_code == 401
    history = gateway.client.get(
        "/webchat/api/messages", headers={"Authorization": visitor["Authorization"]}
    )
    shown = [m for m in history.json()["messages"] if m["file"]]
    assert shown == [{**shown[0], "file": {"kind": "image", "name": "transfer proof.png"}}]
    assert "path" not in json.dumps(history.json())  # the server's paths stay on the server


def test_exif_gps_camera_and_comment_are_stripped_and_the_photo_kept_upright(
    gateway: Gateway, cleanup: None
) -> None:
    original = gps_jpeg()
    with Image.open(io.BytesIO(original)) as sent:  # the test's own premise
        assert sent.getexif().get_ifd(GPS_IFD) and sent.getexif()[MODEL] == CAMERA
        assert CAMERA.encode() in original and COMMENT in original
    visitor = gateway.visitor("en")
    response = upload(gateway, visitor, original, name="IMG_0001.JPG")
    assert response.status_code == 200, response.text
    [row] = [m for m in stored_messages(gateway) if m.attachment]
    assert row.attachment["mime"] == "image/jpeg"
    assert row.attachment["name"] == "IMG_0001.jpg"
    stored = (ROOT / row.attachment["path"]).read_bytes()
    for trace in (b"Exif", CAMERA.encode(), COMMENT, b"GPS"):
        assert trace not in stored
    with Image.open(io.BytesIO(stored)) as kept:
        assert kept.format == "JPEG"
        assert dict(kept.getexif()) == {}
        assert "exif" not in kept.info and "comment" not in kept.info
        assert kept.size == (80, 120)  # the orientation was applied to the pixels


def test_webp_and_pdf_are_accepted_by_their_bytes(gateway: Gateway, cleanup: None) -> None:
    visitor = gateway.visitor("en")
    webp = upload(gateway, visitor, picture("WEBP"), name="shot.png")  # named wrong
    assert webp.status_code == 200, webp.text
    assert webp.json()["message"]["file"] == {"kind": "image", "name": "shot.webp"}
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    sent = upload(gateway, visitor, pdf, name="statement.pdf")
    assert sent.status_code == 200, sent.text
    assert sent.json()["message"]["file"] == {"kind": "file", "name": "statement.pdf"}
    assert sent.json()["message"]["text"] == "[file: statement.pdf]"
    kinds = {
        m.attachment["name"]: m.attachment["mime"] for m in stored_messages(gateway) if m.attachment
    }
    assert kinds == {"shot.webp": "image/webp", "statement.pdf": "application/pdf"}
    [pdf_row] = [
        m for m in stored_messages(gateway) if m.attachment and "pdf" in m.attachment["mime"]
    ]
    assert (ROOT / pdf_row.attachment["path"]).read_bytes() == pdf


def _bad_inputs() -> dict[str, tuple[bytes, str, int]]:
    rng = seeded("webchat-bad-uploads")
    png = picture("PNG", (400, 300))
    zipped = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("wallet.png", png)
    return {
        "50 MB": (b"\x89PNG\r\n\x1a\n" + rng.randbytes(50 * 2**20), "big.png", 413),
        "not an image, named .png": (rng.randbytes(4096), "screenshot.png", 415),
        "text named .png": (b"GIF-less text pretending " * 40, "photo.png", 415),
        "a zip": (zipped.getvalue(), "evidence.zip", 415),
        "a zip named .png": (zipped.getvalue(), "evidence.png", 415),
        "a GIF": (picture("GIF"), "anim.gif", 415),
        "a truncated PNG": (png[: len(png) // 2], "cut.png", 415),
        "PNG magic, then noise": (b"\x89PNG\r\n\x1a\n" + rng.randbytes(2048), "x.png", 415),
        "empty": (b"", "empty.png", 422),
    }


BAD = _bad_inputs()
SAID = {
    413: {"zh": "文件太大（最多 10 MB）", "en": "too large (at most 10 MB)", "es": "máximo 10 MB"},
    415: {"zh": "只能发送图片", "en": "Only pictures", "es": "Solo se pueden enviar"},
    422: {"zh": "文件是空的", "en": "file is empty", "es": "está vacío"},
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_in_the_users_language_and_nothing_is_stored(
    gateway: Gateway, cleanup: None, case: str
) -> None:
    data, name, status = BAD[case]
    before = files_on_disk()
    for language in ("zh", "en", "es"):
        visitor = gateway.visitor(language)
        response = upload(gateway, visitor, data, name=name, language=language)
        assert response.status_code == status, (language, response.text)
        assert SAID[status][language] in response.json()["detail"], language
    assert stored_messages(gateway) == []
    assert files_on_disk() == before
    assert gateway.rasa.calls == []


def test_a_body_streamed_without_a_length_is_cut_off_at_the_limit(
    gateway: Gateway, cleanup: None
) -> None:
    visitor = gateway.visitor("es")
    chunks = (b"\xff\xd8\xff" + bytes(2**20 - 3) for _ in range(12))  # 12 MB, chunked
    before = files_on_disk()
    response = upload(gateway, visitor, chunks, name="big.jpg", language="es")
    assert response.status_code == 413
    assert "máximo 10 MB" in response.json()["detail"]
    assert stored_messages(gateway) == [] and files_on_disk() == before


def test_a_file_named_with_a_recovery_phrase_is_redacted_and_warned_about(
    gateway: Gateway, cleanup: None
) -> None:
    words = recovery_phrase(seeded("webchat-upload-name")).split()
    pieces = [" ".join(words[k : k + 4]) for k in range(len(words) - 3)]
    visitor = gateway.visitor("en")
    name = "%20".join(words) + ".png"
    response = upload(gateway, visitor, picture("PNG"), name=name, language="en")
    assert response.status_code == 200, response.text
    assert "[redacted: " in response.json()["message"]["file"]["name"]
    assert any("recovery phrase" in r["text"] for r in response.json()["replies"])
    rows = json.dumps(
        [(m.text, m.attachment) for m in stored_messages(gateway)], ensure_ascii=False
    )
    assert not [p for p in pieces if p in rows]
    assert not [p for p in pieces if p in response.text]


def test_a_retried_upload_is_stored_once(gateway: Gateway, cleanup: None) -> None:
    visitor = gateway.visitor("en")
    before = files_on_disk()
    first = upload(gateway, visitor, picture("PNG"), client_id="retry-0001")
    again = upload(gateway, visitor, picture("PNG"), client_id="retry-0001")
    assert first.status_code == again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    assert len([m for m in stored_messages(gateway) if m.attachment]) == 1
    assert len(files_on_disk() - before) == 1


def test_an_upload_needs_a_visitor_token(gateway: Gateway) -> None:
    response = gateway.client.post("/webchat/api/uploads", content=picture("PNG"))
    assert response.status_code == 401
    assert stored_messages(gateway) == []


def test_the_page_is_told_the_limit(gateway: Gateway) -> None:
    limits = gateway.client.get("/webchat/api/uploads/limits").json()
    assert limits["max_bytes"] == 10 * 2**20
    assert set(limits["types"]) == {"image/png", "image/jpeg", "image/webp", "application/pdf"}


def test_a_turn_that_fails_before_storing_leaves_no_file_behind(
    gateway: Gateway, cleanup: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(gateway.parts.router.inbox, "_receive", broken)  # both ways in
    visitor = gateway.visitor("en")
    before = files_on_disk()
    with pytest.raises(RuntimeError):
        upload(gateway, visitor, picture("PNG"))
    assert files_on_disk() == before
