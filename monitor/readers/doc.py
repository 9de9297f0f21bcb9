"""Legacy Word .doc and Kingsoft .wps (OLE compound files).

LibreOffice (headless, own profile and HOME, time-limited) converts the file to
DOCX and the DOCX reader reads it, merged cells included. antiword is the fallback
when LibreOffice is missing or fails: it is ~400x faster (3 ms vs ~1.2 s per file)
but measured on this machine it loses tables -- a 10-column table (table 3 of the
template) came out as one run-on line or not at all, and a cell spanning two
columns comes out as one cell, shifting the columns after it. Faithful cells matter
more than speed for the few DOC/WPS reports, so LibreOffice goes first.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import struct
import subprocess
import tempfile
from pathlib import Path

from monitor.errors import DamagedDocument, EncryptedDocument, NotAReport, ToolMissing, UnreadableInput
from monitor.readers.base import SourceDocument
from monitor.readers.text import parse_text

__all__ = ["SOFFICE_TIMEOUT", "read_doc"]

# Seconds; a normal report converts in ~1.2 s (~3 s on LibreOffice's first start). Both stay well
# inside the reading worker's wall-time limit (nianbao.reading), so a stuck converter is reported as such.
SOFFICE_TIMEOUT = 30
ANTIWORD_TIMEOUT = 10

_INSTALL_HINT = "未安装 DOC/WPS 转换工具，请安装 Debian 软件包 libreoffice-writer-nogui（或至少 antiword）"


def _tools() -> dict[str, str | None]:
    """The converters on this machine (tests replace this to force one path)."""
    return {
        "soffice": shutil.which("soffice") or shutil.which("libreoffice"),
        "antiword": shutil.which("antiword"),
    }


# ---------------------------------------------------------------- OLE compound file


def _ole_streams(data: bytes) -> dict[str, tuple[int, int]] | None:
    """Stream name -> (start sector, size) from the compound file's directory; None if unparsable."""
    try:
        sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        if sector_size not in (512, 4096):
            return None
        fat_sectors = list(struct.unpack_from("<109I", data, 0x4C))
        n_fat = struct.unpack_from("<I", data, 0x2C)[0]
        fat_sectors = [s for s in fat_sectors[:n_fat] if s < 0xFFFFFFFA]
        fat: list[int] = []
        for s in fat_sectors:
            off = (s + 1) * sector_size
            chunk = data[off : off + sector_size]
            fat.extend(struct.unpack(f"<{len(chunk) // 4}I", chunk[: len(chunk) // 4 * 4]))
        streams: dict[str, tuple[int, int]] = {}
        sector = struct.unpack_from("<I", data, 0x30)[0]
        for _ in range(10000):  # guard against FAT loops
            if sector >= 0xFFFFFFFA:
                break
            off = (sector + 1) * sector_size
            for e in range(sector_size // 128):
                entry = data[off + e * 128 : off + (e + 1) * 128]
                if len(entry) < 128:
                    break
                name_len = struct.unpack_from("<H", entry, 0x40)[0]
                if entry[0x42] == 2 and 2 <= name_len <= 64:  # a stream
                    name = entry[: name_len - 2].decode("utf-16-le", "replace")
                    streams[name] = struct.unpack_from("<II", entry, 0x74)
            sector = fat[sector] if sector < len(fat) else 0xFFFFFFFE
        return streams
    except (struct.error, IndexError):
        return None


def _check_ole(data: bytes, path: str) -> dict[str, tuple[int, int]] | None:
    """Refuse, with a precise message, what no converter will read; the streams otherwise."""
    streams = _ole_streams(data)
    if streams is None:
        return None  # let the converters judge
    if "EncryptedPackage" in streams:
        raise EncryptedDocument(path, "文档已加密（受密码保护的 Office 文档），无法读取")
    if "WordDocument" in streams:
        start, size = streams["WordDocument"]
        sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        off = (start + 1) * sector_size
        if size >= 12 and len(data) >= off + 12:
            flags = struct.unpack_from("<H", data, off + 0x0A)[0]
            if flags & 0x0100 or flags & 0x8000:  # fEncrypted / fObfuscated in the FIB
                raise EncryptedDocument(path, "DOC 文件已加密，无法读取")
        return streams
    if "Workbook" in streams or "Book" in streams:
        raise NotAReport(path, "是 Excel 工作簿（XLS），不是 Word/WPS 文档，无法作为年报读取")
    if "PowerPoint Document" in streams:
        raise NotAReport(path, "是 PowerPoint 演示文稿（PPT），不是 Word/WPS 文档，无法作为年报读取")
    return streams


# ---------------------------------------------------------------- converters


class _ConvertError(Exception):
    pass


def _run(
    cmd: list[str], timeout: int, env: dict[str, str], cwd: str | None = None
) -> tuple[int, bytes, bytes]:
    # A session of its own, so a timeout kills soffice.bin too, not only the launcher script.
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise _ConvertError(f"转换超时（{timeout} 秒）") from None
    except (
        BaseException
    ):  # the worker's time limit (or Ctrl-C) interrupted the wait: no converter left behind
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return proc.returncode, out, err


def _soffice_to_docx(soffice: str, data: bytes, suffix: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="nianbao-soffice-") as tmp:
        src = Path(tmp) / f"input{suffix}"
        src.write_bytes(data)
        out_dir = Path(tmp) / "out"
        env = dict(os.environ)
        env["HOME"] = tmp  # LibreOffice writes its user profile and caches under HOME
        cmd = [
            soffice,
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            f"-env:UserInstallation=file://{tmp}/profile",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(out_dir),
            str(src),
        ]
        code, _out, err = _run(cmd, SOFFICE_TIMEOUT, env, cwd=tmp)
        result = out_dir / "input.docx"
        if not result.exists():
            detail = err.decode("utf-8", "replace").strip().splitlines()
            raise _ConvertError(detail[-1] if detail else f"soffice 退出码 {code}")
        return result.read_bytes()


def _antiword_text(antiword: str, data: bytes) -> str:
    with tempfile.TemporaryDirectory(prefix="nianbao-antiword-") as tmp:
        src = Path(tmp) / "input.doc"
        src.write_bytes(data)
        env = dict(os.environ)
        env["HOME"] = tmp
        code, out, err = _run([antiword, "-m", "UTF-8.txt", "-w", "0", str(src)], ANTIWORD_TIMEOUT, env)
    message = err.decode("utf-8", "replace").replace(str(src), "文件").strip()
    if "encrypt" in message.lower():
        raise EncryptedDocument("", "DOC 文件已加密，无法读取")
    text = out.decode("utf-8", "replace")
    if code != 0 or not text.strip():
        raise _ConvertError(message.splitlines()[-1] if message else f"antiword 退出码 {code}")
    return text


def read_doc(data: bytes, path: str) -> SourceDocument:
    """Read a .doc or .wps file through LibreOffice, else antiword."""
    streams = _check_ole(data, path)
    tools = _tools()
    if not tools["soffice"] and not tools["antiword"]:
        raise ToolMissing(path, _INSTALL_HINT)
    # Kingsoft .wps is Word's format: named .wps, LibreOffice may pick its MS Works importer instead.
    suffix = Path(path).suffix.lower()
    if (streams and "WordDocument" in streams) or suffix not in {".doc", ".wps", ".dot", ".wpt"}:
        suffix = ".doc"
    failures: list[str] = []
    if tools["soffice"]:
        try:
            converted = _soffice_to_docx(tools["soffice"], data, suffix)
        except (_ConvertError, OSError) as exc:
            failures.append(f"LibreOffice：{exc}")
        else:
            from monitor.readers.docx import read_docx

            doc = read_docx(converted, path)
            doc.format = "doc"
            doc.meta["converter"] = "libreoffice"
            return doc
    if tools["antiword"]:
        try:
            text = _antiword_text(tools["antiword"], data)
        except UnreadableInput as exc:
            raise type(exc)(path, exc.problem) from None
        except (_ConvertError, OSError) as exc:
            failures.append(f"antiword：{exc}")
        else:
            doc = parse_text(text, path, "doc")
            doc.lines = [ln for ln in doc.lines if ln.text.strip()]  # blank lines: as the other readers
            doc.meta["converter"] = "antiword"
            doc.meta["encoding"] = "utf-8"
            return doc
    raise DamagedDocument(path, "DOC/WPS 文件已损坏或格式无法识别（" + "；".join(failures) + "）")
