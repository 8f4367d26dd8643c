"""Every message a researcher sees on a Chinese page is in Chinese (issue 21, item 5).

The query layer's notes and errors are English (the CLI and the JSON API keep those words);
webui.messages gives each its Chinese, with the English term beside it where the UI pairs them.
"""
from __future__ import annotations

import re

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from searchlib.query.parse import MAX_CLAUSES, MAX_DEPTH, parse
from webui.messages import UNKNOWN_LEAD, zh

# One query for each note or refusal the parser can give.
QUERIES = ['"法治', "(法治", "法治)", "法治*", "法治 OR", "法治 /s", "法治 /s 年份:2021", "法治 NOT", "法治 -(",
           "年份: 法治", "法治 or 复议", " ".join(f"词{i}" for i in range(MAX_CLAUSES + 3)), "层级:abc 法治",
           "(" * (MAX_DEPTH + 2) + "法治" + ")" * (MAX_DEPTH + 2), "法" * 501]
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]+ [a-z]+ [a-z]+")   # three English words in a row


def messages_of(q: str) -> list[str]:
    parsed = parse(q)
    return parsed.problems + ([parsed.fatal] if parsed.fatal else [])


@pytest.mark.parametrize("q", QUERIES)
def test_every_note_of_the_parser_has_its_chinese(q):
    found = messages_of(q)
    assert found, f"{q!r} gives a note (else this test tests nothing)"
    for message in found:
        chinese = zh(message)
        assert not chinese.startswith(UNKNOWN_LEAD), message
        assert not ENGLISH_SENTENCE.search(chinese), chinese


@pytest.mark.parametrize("q", [q for q in QUERIES if not parse(q).fatal])
def test_the_search_page_shows_the_notes_in_chinese(page, q):
    _, dom = page("/search?q=" + q.replace("&", "%26"))
    shown = [li.text() for li in dom.css("ul.problems li")]
    assert shown and len(shown) == len(messages_of(q))
    for text in shown:
        assert not ENGLISH_SENTENCE.search(text), text


@pytest.mark.parametrize("url, chinese, english", [
    ('/search?q="出庭应诉率', "引号不成对", "unbalanced quote"),
    ('/kwic?q="出庭应诉率', "引号不成对", "unbalanced quote"),
    ('/stats?q="出庭应诉率', "引号不成对", "unbalanced quote"),
    ("/stats?q=年份:2021 法律顾问&q=行政复议", "相同的筛选条件", None),
    ("/stats?q=法律顾问 (年份:2021 OR 年份:2022)", "OR、NOT 或 /s", None),
])
def test_refusals_are_in_chinese_with_the_english_term_beside(client, url, chinese, english):
    response = client.get(url)
    assert response.status_code == 400
    notice = HTMLParser(response.get_data(as_text=True)).css_first("[role=alert]").text()
    assert chinese in notice
    if english:
        assert english in notice
    assert not ENGLISH_SENTENCE.search(notice.replace(english or "\0", "")), notice


def test_the_json_api_keeps_the_librarys_english_as_detail(client):
    body = client.get('/api/search?q="出庭应诉率').get_json()
    assert "引号不成对" in body["error"]
    assert body["detail"].startswith("unbalanced quote")


def test_an_unknown_message_is_shown_rather_than_lost():
    assert zh("something new") == f"{UNKNOWN_LEAD}（something new）"


@pytest.mark.parametrize("url, notes", [
    ("/kwic?q=(行政复议", ["注意：自动补上了缺少的右括号 )（unmatched bracket）。"]),
    ("/stats?q=行政复议&q=(法治 OR", ["注意：Q2：OR（或）的一侧没有内容，已忽略这个 OR。",
                                     "注意：Q2：自动补上了缺少的右括号 )（unmatched bracket）。"]),
])
def test_the_concordance_and_the_distribution_say_what_they_changed_in_a_query(page, url, notes):
    # An auto-closed bracket was silent there; now it is said, in Chinese, as on the search page.
    _, dom = page(url)
    assert [li.text() for li in dom.css("ul.problems li")] == notes
