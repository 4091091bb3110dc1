"""Words and token shapes the entity patterns are built from (zh/en/es).

Chain, token and fiat names are in :mod:`bot.nlu.vocabulary`; this module has
the rest of what :mod:`bot.nlu.pipelines` turns into spaCy ``EntityRuler``
patterns and jieba dictionary entries.
"""

from __future__ import annotations

# Chinese numerals; 点 is the decimal point ("一点五").
ZH_NUMERALS = "零〇一二两三四五六七八九十百千万亿点"
NUMBER = rf"^(?:\d+(?:[.,]\d+)*|[{ZH_NUMERALS}]+|\d+(?:\.\d+)?[kK万])$"

# Tokens too ambiguous alone ("can u help", "el sol") that still count after a number.
UNIT_ONLY = frozenset({"u", "sol", "pol", "$", "刀", "元", "块", "dai", "arb", "base"})

# One-token time words; multi-word phrases are in TIME_PHRASES. Bare
# "now"/"ahora"/"esta" are left out: too common to mean a transfer time.
TIME_WORDS = (
    "today", "yesterday", "tonight", "noon", "midnight", "hoy", "ayer", "anoche", "anteayer",
    "mediodía", "mediodia", "medianoche", "今天", "昨天", "前天", "昨晚", "今早", "今晚", "刚才",
    "刚刚", "上午", "下午", "中午", "晚上", "凌晨", "早上", "傍晚", "昨天上午", "昨天下午",
    "昨天晚上", "今天上午", "今天下午", "今天早上", "前天晚上", "今天中午", "昨天中午",
)  # fmt: skip
TIME_PHRASES = (
    "this morning", "this afternoon", "this evening", "last night", "just now",
    "earlier today", "day before yesterday", "a while ago", "at noon", "last week",
    "hace un rato", "hace rato", "al mediodía", "al mediodia", "la semana pasada",
    "esta mañana", "esta manana", "esta tarde", "esta noche", "antes de ayer",
)  # fmt: skip

TIME_UNITS_EN = ["minute", "minutes", "min", "mins", "hour", "hours", "hr", "hrs", "h", "day",
                 "days", "week", "weeks"]  # fmt: skip
TIME_UNITS_ES = ["minuto", "minutos", "hora", "horas", "día", "días", "dia", "dias", "semana",
                 "semanas"]  # fmt: skip
SPELLED_NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                   "eleven", "twelve"]  # fmt: skip
SPELLED_NUMBERS_ES = ["un", "una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho",
                      "nueve", "diez", "unos", "unas"]  # fmt: skip
ZH_AGO = ["小时前", "分钟前", "天前", "周前", "个小时前", "钟头前"]
ZH_CLOCK = r"^[\d一二两三四五六七八九十]+[点點时]([\d一二三四五六七八九十]+分?|半|钟)?$"
CLOCK_WORDS = ["am", "pm", "a.m.", "p.m.", "点", "點", "时", "点钟", "点半", "h"]

# What may stand between two time spans that still read as one time.
TIME_JOINERS = frozenset(
    {"", "at", "around", "about", "a las", "a la", "sobre las", "de la", "大概", "左右", "的"}
)

# Words taken out of jieba's dictionary (see pipelines.customise_jieba).
JIEBA_FALSE_WORDS = ("前转", "前发", "前充", "前提")
