"""Undo the disguises people use to slip words past a filter, before matching.

A fake agent writes "s e e d", "pr1vate k3y", "ｓｅｅｄ", "助 记 词" or a Cyrillic "е"
so that the words still read as the real thing to a user. Folding brings them back
to one plain form; the matching tables (``_ask_words``) are written for that form:
lower case, no accents, ASCII Latin letters.
"""

from __future__ import annotations

import re
import unicodedata

from common.language import HAN

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\ufeff\u00ad\u180e"))

# Letters of other scripts drawn like Latin ones (Unicode's confusables, the ones that
# turn up in phishing). Digits are left alone here: "12 words" must stay a number.
_LOOKALIKE_LETTERS = str.maketrans(
    {
        **dict(zip("аеорсухіјѕԁһӏԛԝ", "aeopcyxijsdhlqw", strict=True)),  # Cyrillic
        **dict(zip("АВЕКМНОРСТХІЈЅ", "abekmhopctxijs", strict=True)),
        **dict(zip("αβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "abeikvoptuxabezhikmnoptyx", strict=True)),
        "ı": "i",
        "ɡ": "g",
        "ℓ": "l",
        "ո": "n",
        "ս": "u",
    }
)
# Traditional characters of the words the tables look for (助記詞, 私鑰, 發給我): the
# tables are written in simplified Chinese.
_TRADITIONAL = str.maketrans(
    "記詞辭鑰碼發訴輸寫圖驗證們絕會給錢請這裡裏網頁鏈貼導號騙詐問對說讓張紙單個種語備復後應無為"
    "沒嗎別擔傳轉賬帳戶檔麼煩鍵識報讀傳錄綁連結剛過還經從來絕決須需聯繫確認勿禁",
    "记词辞钥码发诉输写图验证们绝会给钱请这里里网页链贴导号骗诈问对说让张纸单个种语备复后应无为"
    "没吗别担传转账账户档么烦键识报读传录绑连结刚过还经从来绝决须需联系确认勿禁",
)
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_SHAPES = str.maketrans("0135!", "olesl")  # what a digit passes for inside a name
# A digit or sign *between letters* is a disguised letter ("s33d", "pr1vate"); a number
# standing alone ("12 words") is not.
_LEET_RUN = re.compile(r"(?<=[a-z])[0-9@$]+(?=[a-z])")
# "s e e d", "s.e.e.d", "s-e-e-d", "p_h_r_a_s_e": three or more single letters in a row.
_SPACED = re.compile(r"\b[a-z](?:[ .\-_*·•|/]{1,2}[a-z]){2,}\b")
# "助 记 词", "助*记*词", "私-钥": separators inside a run of Han characters.
_HAN_GAP = re.compile(f"(?<=[{HAN}])[ \t\\-_*·•./|~+]{{1,3}}(?=[{HAN}])")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def plain(text: str) -> str:
    """Invisible characters out, full-width forms to ASCII (``NFKC``), lower case."""
    text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE)).lower()
    return text.replace("\u2019", "'").replace("\u2018", "'")


def fold(text: str) -> str:
    """The text as the tables expect it: plain, de-disguised, accents dropped."""
    text = strip_accents(plain(text).translate(_LOOKALIKE_LETTERS).translate(_TRADITIONAL))
    text = _LEET_RUN.sub(lambda m: m.group(0).translate(_LEET), text)
    text = _SPACED.sub(lambda m: re.sub(r"[ .\-_*·•|/]", "", m.group(0)), text)
    return _HAN_GAP.sub("", text)


def skeleton(text: str) -> str:
    """What a name looks like, for comparing domains: ``acmewaIlet`` ~ ``acmewallet``."""
    text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE))
    text = strip_accents(text.translate(_LOOKALIKE_LETTERS)).replace("I", "l").lower()
    text = text.translate(_SHAPES)
    return re.sub(r"[^a-z]", "", text.replace("rn", "m").replace("vv", "w"))
