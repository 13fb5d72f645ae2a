"""Test reading_time on hand-counted posts, the word rules, images and arbitrary text."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blog.content.reading_time import ReadingTime, estimate, image_seconds

POSTS = Path(__file__).parent / "posts"


def read_post(name: str) -> str:
    """Return the text of the input file `name` in tests/posts."""
    return (POSTS / name).read_text(encoding="utf-8")


# Every count below was made by hand, line by line; the files repeat a few counted lines.
POST_CASES = [
    # 6 different sentences of 20 words each, repeated 5 times: 30 lines, 600 words.
    # Counted as words: doesn't, well-known, state-of-the-art, we'll, it's, 'n' (= n), $1,500
    # (= 1,500), 9:30, 10:00, 3.14, 2.718, 3, 12, 42; not words: the dashes "—" and "->".
    # 600 / 265 = 2.26 -> 3 min.
    pytest.param("english_600_words.md", 600, 0, 3, id="english_600_words"),
    # 50 four-character idioms (200 Han), 5 a line, 10 lines, repeated 5 times: 50 lines
    # x 20 = 1,000 Han. Punctuation between them counts as nothing: ，、「」！？：；（）
    # 《》……——『』。  1,000 / 500 = 2 min exactly.
    pytest.param("chinese_1000_chars.md", 0, 1000, 2, id="chinese_1000_chars"),
    # 3 lines repeated 12 times. 東京の朝はとても静か = 10; 私はコーヒーを飲みながら +
    # ニュースを読みます = 12 + 9 = 21 (each ー and the small ュ count); 今日も時々晴れですね +
    # と友達が言いました = 10 + 9 = 19 (々 counts). 50 x 12 = 600; 。、「」 do not count.
    # 600 / 500 = 1.2 -> 2 min.
    pytest.param("japanese_with_kana.md", 0, 600, 2, id="japanese_with_kana"),
    # 3 sentences of 10 space-separated Hangul words, repeated 10 times: 300 words, no
    # characters. 300 / 265 = 1.13 -> 2 min.
    pytest.param("korean.md", 300, 0, 2, id="korean"),
    # ภาษา 4, ไทย 3, ไม่มี 3 (+2 marks), การ 3, เว้น 3 (+1), วรรค 4, ระหว่าง 6 (+1), คำ 2
    # (ำ is a spacing Lo) = 28 base + 4 marks. ผมชอบกินข้าวผัด 12 (+3 marks: ิ ้ ั),
    # ที่ร้านใกล้บ้าน 10 (+5: ี ่ ้ ้ ้) = 22 + 8. (28 + 22) x 10 lines pairs = 500 base
    # characters -> exactly 1 min; counting the 120 marks too would make it 2.
    pytest.param("thai.md", 0, 500, 1, id="thai"),
    # 53 lines of 10 words (the 3 sentences in turn): 530 words. Vowel marks and shadda
    # (مُدَوَّنَتِي) stay inside their word, ٢٠٢٤ is one word, ، and ؟ are none.
    # 530 / 265 = 2 min exactly.
    pytest.param("arabic.md", 530, 0, 2, id="arabic"),
    # 3 lines repeated 20 times. Line 1: Python = 1 word; 我每天都用 5 + 写代码 3 + 因为它简单 5
    # = 13 Han. Line 2: "Practice makes perfect, so keep writing every day." = 8 words;
    # 老师说 3 + 然后我们继续学习 8 = 11 Han. Line 3: 2.0 and 10,000 = 2 words; 版本 2 + 发布了 3
    # + 下载量超过 5 + 次 1 = 11 Han. 20 x (11 words, 35 Han) = 220 words, 700 Han.
    # 220 / 265 + 700 / 500 = 0.83 + 1.4 = 2.23 -> 3 min.
    pytest.param("mixed_english_chinese.md", 220, 700, 3, id="mixed_english_chinese"),
    # Prose line: Here is how the blog greets a new agent It's short and well-tested = 13.
    # Code: def greet_agent name str str = 5; Say hello to an agent = 5; return f Hello name
    # = 4; for i in range 3 = 5; print greet_agent bot str i Hello bot-0 = 7; the symbol line
    # "# ==> {} [] () ** // -- !!" = 0; __all__ greet_agent = 2. Total 41 words -> 1 min.
    pytest.param("code_block.md", 41, 0, 1, id="code_block"),
]


@pytest.mark.parametrize(("name", "words", "chars", "minutes"), POST_CASES)
def test_post(name: str, words: int, chars: int, minutes: int) -> None:
    assert estimate(read_post(name)) == ReadingTime(words, chars, 0, minutes)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("don't", 1),
        ("don’t", 1),
        ("well-known", 1),
        ("state-of-the-art", 1),
        ("rock 'n' roll", 3),
        ("—", 0),
        ("->", 0),
        ("a -> b", 2),
        ("x--y", 2),
        ("--verbose", 1),
        ("trailing- 'quoted'", 2),
        ("3.14 10,000 12:30 v1.2.3", 4),
        ("end. Start", 2),
        ("end.Start", 2),
        ("1. 2.", 2),
        ("foo_bar __init__ _", 2),
        ("C++ and C#", 3),
        ("😀 🎉 ★ © ™", 0),
        ("e\u0301te\u0301", 1),  # été with combining acute accents
        ("हिन्दी भाषा", 2),  # Devanagari vowel signs and virama are marks
        ("Привет, мир!", 2),
        ("Γειά σου κόσμε", 3),
        ("שָׁלוֹם עולם", 2),  # Hebrew with niqqud
        ("می\u200cخواهم", 1),  # Persian with a zero-width non-joiner inside the word
        ("한국어 문장입니다", 2),
        ("ＡＢＣ　１２３", 2),  # full-width letters and digits are words
        ("๒๕๖๗", 1),  # Thai digits are a number
    ],
)
def test_words(text: str, words: int) -> None:
    assert estimate(text).words == words
    assert estimate(text).cjk_chars == 0


@pytest.mark.parametrize(
    ("text", "words", "chars"),
    [
        ("我喜欢Python编程", 1, 5),  # 我喜欢 3 + 编程 2
        ("2024年", 1, 1),
        ("。、「」！？（）・〜【】", 0, 0),
        ("々〆〇", 0, 3),
        ("か\u3099", 0, 1),  # が written with a combining voiced sound mark
        ("ｶﾞｷﾟ", 0, 2),  # half-width voicing marks do not count
        ("カ゛", 0, 1),  # nor does the spacing voiced sound mark
        ("コーヒー", 0, 4),
        ("\U00020000\U0002a6d6", 0, 2),  # CJK Extension B, outside the BMP
        ("สวัสดี", 0, 4),  # ส ว (ั) ส ด (ี)
        ("ดีๆ", 0, 2),  # ด (ี) ๆ: the repetition mark is a spacing letter
        ("漢字とEnglish、한국어", 2, 3),
    ],
)
def test_characters(text: str, words: int, chars: int) -> None:
    assert (estimate(text).words, estimate(text).cjk_chars) == (words, chars)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("", 1),
        (" \n\t ", 1),
        ("word " * 265, 1),  # 60 s
        ("word " * 266, 2),
        ("中" * 500, 1),  # 60 s
        ("中" * 501, 2),
        ("中" * 250 + " a" * 132, 1),  # 30 s + 29.9 s
        ("中" * 250 + " a" * 133, 2),  # 30 s + 30.1 s
    ],
)
def test_minutes(text: str, minutes: int) -> None:
    assert estimate(text).minutes == minutes


@pytest.mark.parametrize(
    ("count", "seconds"),
    [
        (-1, 0),
        (0, 0),
        (1, 12),
        (2, 23),  # 12 + 11
        (9, 72),  # 12 + 11 + ... + 4
        (10, 75),  # 12 + 11 + ... + 4 + 3
        (12, 81),  # 75 + 3 + 3
        (110, 375),  # 75 + 100 x 3
    ],
)
def test_image_seconds(count: int, seconds: float) -> None:
    assert image_seconds(count) == seconds


def test_images_alone() -> None:
    # 5 images: 12 + 11 + 10 + 9 + 8 = 50 s -> 1 min; 12 images: 81 s -> 2 min.
    assert estimate("", images=5) == ReadingTime(0, 0, 5, 1)
    assert estimate("", images=12) == ReadingTime(0, 0, 12, 2)


def test_images_add_to_text() -> None:
    # 600 words = 135.8 s, 12 images = 81 s: 216.8 s -> 4 min.
    assert estimate(read_post("english_600_words.md"), images=12).minutes == 4


@pytest.mark.parametrize(
    "text", ["\ud800", "a\udfff\ud800b", "\x00\x01\x1b\x7f", "\u200d\ufeff", "\U0010ffff"]
)
def test_odd_text(text: str) -> None:
    assert estimate(text).minutes == 1


def test_large_posts_of_worst_case_shapes_are_counted() -> None:
    # Shapes that stress the word joiners; speed is measured in bench/, not asserted here.
    assert estimate("a-" * 131072).words == 1
    assert estimate("1." * 131072).words == 1
    assert estimate("\u0301" * 262144).words == 0


_ALPHABET = st.one_of(
    st.characters(),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.sampled_from("a1'’-‐.,:_ \u0301\u0e31\u3099\uff9e中ー。๒한ـ\u200c"),
)


@settings(database=None, max_examples=300)
@given(st.text(_ALPHABET))
def test_any_text(text: str) -> None:
    result = estimate(text)
    assert result.minutes >= 1
    assert 0 <= result.words <= len(text)
    assert 0 <= result.cjk_chars <= len(text)
    # A word after a space, or one more Han character, adds exactly one.
    assert estimate(text + " zz").words == result.words + 1
    assert estimate(text + "中").cjk_chars == result.cjk_chars + 1
    assert estimate(text + "中").words == result.words
