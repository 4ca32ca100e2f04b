"""HTML to PDF with WeasyPrint: local files only, CJK fonts embedded and subset by HarfBuzz."""
from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")


class PdfSetupError(RuntimeError):
    """The machine lacks what print-quality Chinese PDFs need (fonts, HarfBuzz subsetting)."""


def fast_subsetting() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (Debian's libharfbuzz-subset0).

    Without it WeasyPrint falls back to fontTools: about 2.5 s per CJK font face per PDF.
    """
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset
    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def cjk_fonts_installed() -> bool:
    """Whether fontconfig knows the Noto CJK families the report CSS asks for."""
    try:
        listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    families = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    return all(f in families for f in FONT_FAMILIES)


def check_setup() -> None:
    """Raise PdfSetupError naming the Debian package that is missing."""
    if not cjk_fonts_installed():
        raise PdfSetupError("缺少中文字体：请安装 Debian 软件包 fonts-noto-cjk（./dev.sh setup 会安装）")
    if not fast_subsetting():
        raise PdfSetupError("缺少 libharfbuzz-subset0：生成 PDF 将慢约 2.5 秒/字体（./dev.sh setup 会安装）")


def _fetcher(roots: tuple[Path, ...]):
    """A URL fetcher for files under the given folders and data: URIs only (no network).

    A missing or forbidden file stops the rendering: an official report never silently
    lacks a photo.
    """
    from weasyprint.urls import URLFetcher
    resolved = tuple(r.resolve() for r in roots)

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                if not any(path.is_relative_to(r) for r in resolved):
                    raise ValueError(f"报告引用了不允许的文件：{path}")
            elif parts.scheme != "data":
                raise ValueError(f"报告只能引用本机文件：{url}")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)


def render(html: str, *, base: Path, roots: tuple[Path, ...]) -> bytes:
    """The PDF of an HTML document; relative URLs resolve under `base`, files only from `roots`."""
    from weasyprint import HTML
    document = HTML(string=html, base_url=base.resolve().as_uri() + "/", url_fetcher=_fetcher(roots))
    return document.write_pdf(uncompressed_pdf=False, optimize_images=False)
