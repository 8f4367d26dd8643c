"""source: raw bytes -> text; every unreadable file is a SourceError naming it."""
from __future__ import annotations

import shutil

import pytest

from searchlib.ingest.source import SourceError, decode, html_to_text, read_text


def test_utf8_text_is_read_as_is(seed_path):
    assert read_text(seed_path("001")).startswith("眉山市东坡区人民政府关于2021年法治政府建设情况的报告")


def test_gbk_bytes_are_detected_and_decoded(pages):
    text = read_text(pages / "gbk_report.txt")
    assert text.startswith("安溪县2022年法治政府建设情况报告")


def test_utf16_with_bom_is_decoded(pages):
    text = read_text(pages / "utf16_bom_report.txt")
    assert text.startswith("武侯区2023年度法治政府建设工作报告")
    assert "\x00" not in text


def test_gb18030_only_characters_survive():
    text = "䶮镇2023年法治政府建设情况报告,现将有关情况报告如下。" * 3
    assert decode(text.encode("gb18030")) == text


def test_html_keeps_the_document_and_drops_nav_header_footer_and_script(pages):
    text = read_text(pages / "nav_footer.html")
    assert "南京市浦口区司法局关于2023年度法治政府建设情况的报告" in text
    assert "局党组把法治政府建设摆在全局工作的重要位置" in text
    assert "互动交流" not in text          # <nav>
    assert "门户网站" not in text          # <header> and <title>
    assert "should never be read" not in text  # <script>
    assert "ICP备" not in text            # <footer>


def test_html_block_elements_become_lines():
    text = html_to_text("<html><body><p>一、总体情况</p><p>(一)加强领导。</p><div>二、存在问题<br>问题一</div></body></html>")
    assert text.splitlines() == ["一、总体情况", "(一)加强领导。", "二、存在问题", "问题一"]


@pytest.mark.parametrize("name", ["empty.txt", "blank_lines.txt"])
def test_an_empty_file_is_reported_by_name(pages, name):
    with pytest.raises(SourceError) as caught:
        read_text(pages / name)
    assert caught.value.path.endswith(name)
    assert "empty" in caught.value.reason


def test_a_binary_file_is_reported_not_decoded(pages):
    with pytest.raises(SourceError) as caught:
        read_text(pages / "binary.txt")
    assert "binary" in caught.value.reason


def test_binary_bytes_that_begin_like_a_utf16_mark_are_reported_not_decoded():
    # FF FE starts UTF-16 text and many binary files alike: decoded, random bytes are CJK-looking nonsense.
    import random
    noise = bytes(random.Random(7).randrange(256) for _ in range(3000))
    with pytest.raises(SourceError, match="binary"):
        decode(b"\xff\xfe" + noise)
    assert decode("\ufeff法治政府建设报告\n一、主要成效".encode("utf-16-le")).startswith("法治政府建设报告")


def test_a_missing_file_and_a_directory_are_source_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        read_text(tmp_path / "missing.txt")
    with pytest.raises(SourceError, match="directory"):
        read_text(tmp_path)


def test_an_html_page_with_no_text_is_a_source_error(tmp_path):
    page = tmp_path / "blank.html"
    page.write_text("<html><body><script>x()</script></body></html>", encoding="utf-8")
    with pytest.raises(SourceError, match="no text"):
        read_text(page)


def test_html_is_recognised_by_content_when_saved_as_txt(tmp_path, pages):
    copy = tmp_path / "page.txt"
    shutil.copyfile(pages / "nav_footer.html", copy)
    assert "<p>" not in read_text(copy)
