"""Evidence that a number is a quantity, not an identifier.

The number recognizers of :mod:`tuneset.scrub.detectors` (phone, card, SSN) find candidates by shape
and a validator, but a shape plus a validator is weak evidence: one random number in ten passes Luhn,
and ``phonenumbers`` accepts many digit strings in some region. A number is treated as an identifier
only with evidence (format, validator and context); this module says when the text around a
candidate shows it is a *number* instead:

- :func:`arithmetic_adjacent`: an operator or ``=`` next to it (``960-480-120 = 360``,
  ``594629783 + 961551451065816``, "the product of 1234567 and 89");
- :func:`in_range`: a range ("500-1000", "from 1000000 to 2000000", "between 3 and 5");
- :func:`money_or_unit`: money or a quantity ("$1,000", "1000 km", "25%", "3000000 ratings");
- :func:`shaped_like_a_number`: the candidate's own digits are a number's (a decimal, a year or
  year range, round thousands "5 650 000", a binary string, a dotted version or IP-like quad);
- :func:`in_number_sequence`: one piece of a longer whitespace-separated run of numbers (a table,
  a sequence "2 3 5 7 11 13 17 19");
- :func:`in_code`: inside code (backticks, a code fence, after ``0x``, an assignment ``x = 12345678``);
- :func:`in_math_problem`: an unformatted digit run in a math text ("the binary number 100100110",
  "is 123456789 divisible by 7").

:func:`numeric_context` runs them, cheapest first, and names the first that holds. :func:`cue_before`
finds an explicit cue word right before a candidate ("call 555-0173", "card: ..."), which the
recognizers let override a numeric context. Every check looks at a short window around the candidate
(never the whole text, except the code-fence count), so the cost is per candidate, and candidates are
rare: the recognizers' gates skip most texts. Nothing here logs or returns a matched value.
"""

from __future__ import annotations

from typing import Any

import regex as re

#: How far around a candidate the checks look (characters).
WINDOW = 40
MATH_WINDOW = 160

# a number as an operand: digits with decimal or thousands separators, or a closing bracket
_OPERAND = r"(?:\d[\d,.]*|[)\]])"
# "add" is left out: "add 415-555-0173 to my contacts"
_WORD_OPERATORS = r"plus|minus|times|multiplied\s+by|divided\s+by|over|modulo|mod|sum\s+of|product\s+of|" \
                  r"difference\s+(?:of|between)|quotient\s+of|subtract|multiply|divide|squared|cubed"
# before the candidate: "12 + ", "3 x ", "= ", "^", "×", "sum of ", "<<" (GSM8K's calculator annotations);
# "<" and ">" need a number too: "<td>415-555-0173</td>" is markup
_OP_BEFORE = re.compile(r"(?:" + _OPERAND + r"\s*(?:[-+*/−–<>≤≥]|\s[x]\s?)|[=×÷^]|<<|\b(?:" + _WORD_OPERATORS +
                        r"))\s*[(\[]*\s*$", re.IGNORECASE)
# after the candidate: " + 12", " x 3", " =", "^2", " divided by", "squared"
_OP_AFTER = re.compile(r"^\s*[)\]]*\s*(?:[-+*/−–<>≤≥]\s*[\d(]|\s?x\s+[\d(]|[=×÷^]|\b(?:" + _WORD_OPERATORS + r")\b)",
                       re.IGNORECASE)

# "until"/"till" are left out: "415-555-0173 till 5 pm" is a phone's opening hours
# "from" is left out: "a call from 555-1234"
_RANGE_WORD_BEFORE = re.compile(r"\b(?:between|range|ranging|ranges|ranged|aged?|ages)\b(?:\s+(?:of|is|was|from))?"
                                r"\s*[$€£]?\s*$", re.IGNORECASE)
_BETWEEN_BEFORE = re.compile(r"\bbetween\s*[$€£]?\s*$", re.IGNORECASE)
_RANGE_AFTER = re.compile(r"^\s*(?:to|through|thru|[-–—])\s*[$€£]?\s*\d", re.IGNORECASE)
_RANGE_BEFORE = re.compile(r"\d\s*(?:to|through|thru|[–—])\s*[$€£]?\s*$", re.IGNORECASE)
_BETWEEN_AND = re.compile(r"^\s*and\s*[$€£]?\s*\d", re.IGNORECASE)
_BETWEEN_X_AND = re.compile(r"\bbetween\s*[$€£]?\s*\d[\d,.]*\s+and\s*[$€£]?\s*$", re.IGNORECASE)
_TWO_GROUPS = re.compile(r"^(\d+)\s*[-–—]\s*(\d+)$")

_CURRENCY_BEFORE = re.compile(r"(?:[$€£¥₹₩₽¢]|\b(?:USD|EUR|GBP|JPY|INR|CAD|AUD|CHF|CNY|Rs\.?|Rp\.?|R\$))\s*$",
                              re.IGNORECASE)
# units and counted things; "in", "s" and most one-letter units are left out: "call 415-555-0173 in the
# morning", "415-555-0173 w/ questions"
_UNITS = (r"%|‰|percent|per\s*cent|°|degrees?|dollars?|euros?|pounds?|cents?|pence|yen|yuan|rupees?|bucks|"
          r"usd|eur|gbp|thousand|million|billion|trillion|k|m|bn|"
          r"mm|cm|dm|m|km|mi|miles?|ft|feet|foot|inch(?:es)?|yards?|meters?|metres?|kilometers?|kilometres?|"
          r"mg|kg|grams?|kilograms?|lbs?|oz|ounces?|tons?|tonnes?|ml|liters?|litres?|gallons?|"
          r"ms|sec|secs|seconds?|mins?|minutes?|hrs?|hours?|days?|weeks?|months?|years?|yrs?|decades?|centuries|"
          r"kb|mb|gb|tb|bytes?|bits?|px|mph|km/h|kph|hz|khz|mhz|ghz|kw|kwh|mw|watts?|volts?|"
          r"sq|square|acres?|hectares?|calories|kcal|"
          r"people|persons|inhabitants|residents|citizens|population|users|visitors|views|downloads|subscribers|"
          r"followers|votes|ratings|reviews|copies|units|items|pieces|cars|vehicles|books|words|points|steps|"
          r"times|tickets|students|employees|workers|cases|deaths|barrels|shares|stars|sold")
_UNIT_AFTER = re.compile(r"^\s*(?:" + _UNITS + r")(?![\p{L}\d])", re.IGNORECASE)

_DECIMAL = re.compile(r"^\d+\.\d+$")
_YEARS = re.compile(r"^(?:1[5-9]|20)\d\d(?:\s*[-–—/ ]\s*(?:1[5-9]|20)\d\d)+$")
_ROUND_THOUSANDS = re.compile(r"^\d{1,3}([ .,])\d{3}(?:\1\d{3})*$")
_BINARY = re.compile(r"^[01]{7,}(?:[ ,][01]+)*$")
_DOTTED_QUAD = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3,}$")
_ALL_PAIRS = re.compile(r"^\d\d(?:\.\d\d)+$")

_SPACED_GROUPS = re.compile(r"^\d+(?:[ \t]+\d+)+$")
_DIGIT_SPACE_BEFORE = re.compile(r"\d[ \t]+$")
_SPACE_DIGIT_AFTER = re.compile(r"^[ \t]+\d")

_ASSIGNMENT_BEFORE = re.compile(r"[\p{L}_][\w.\[\]'\"]*\s*(?::=|=)\s*[\[({'\"]*\s*$")
_HEX_BEFORE = re.compile(r"0[xX]$")

# math words, and operators between numbers; "-" and "/" only spaced: "+1-903-140-4508" and "03/28" are not sums
_MATH_WORDS = re.compile(r"\b(?:calculate|compute|solve|sum\s+of|product\s+of|divisible|divisor|prime|factors?|"
                         r"factori[sz]\w*|digits?|multipl(?:y|ied|ies|ication)|divid(?:e|ed|es|ing)|division|equation|"
                         r"remainder|square\s+root|average|binary|decimal|hexadecimal|octal|base\s+\d+|integer|"
                         r"(?:even|odd)\s+numbers?|modulo|quotient|exponent|logarithm|arithmetic|math\w*)\b|"
                         r"\d\s*[=×÷^*]\s*\d|\d\s+[-+/x]\s+\d|\d\+\d", re.IGNORECASE)
_UNFORMATTED = re.compile(r"^\+?\d+$")


def _before(text: str, start: int, size: int = WINDOW) -> str:
    return text[max(0, start - size):start]


def _after(text: str, end: int, size: int = WINDOW) -> str:
    return text[end:end + size]


def arithmetic_adjacent(text: str, start: int, end: int) -> bool:
    """An operator or ``=`` right before or after the candidate ``text[start:end]``.

    Symbols that also separate words in prose (``+ - * /``, a spaced ``x``) count only with a number
    on their other side ("12 + 1234567", "1234567 - 89"), so "Bob - 415 555 0173" and "* 555-0173" in
    a list are not arithmetic; ``= × ÷ ^ < >`` and word operators ("plus", "divided by", "sum of")
    count alone. A candidate that starts with ``+`` after a number ("5 +9615514510") is an operand.
    """
    candidate = text[start:end]
    before = _before(text, start)
    if candidate.startswith("+") and re.search(_OPERAND + r"\s*$", before):
        return True
    return bool(_OP_BEFORE.search(before) or _OP_AFTER.search(_after(text, end)))


def in_range(text: str, start: int, end: int) -> bool:
    """The candidate is a range or one end of one: "10000-20000" where the ends are round or a range
    word precedes ("a range of 1234-5678"), "1000000 to 2000000", "between 1234567 and 2345678".

    Two dash-joined numbers alone are not a range ("555-1234" is a phone's shape): the first must be
    the smaller, and both must end in 0 or a range word ("between", "range", "ages") must come first.
    """
    before, after = _before(text, start), _after(text, end)
    if _RANGE_BEFORE.search(before) or _RANGE_AFTER.search(after):
        return True
    if (_BETWEEN_BEFORE.search(before) and _BETWEEN_AND.search(after)) or _BETWEEN_X_AND.search(before):
        return True
    range_word = _RANGE_WORD_BEFORE.search(before) is not None
    two = _TWO_GROUPS.match(text[start:end])
    if two is None:
        return False
    low, high = two.group(1), two.group(2)
    if int(low) >= int(high):
        return False
    return range_word or (low.endswith("0") and high.endswith("0"))


def money_or_unit(text: str, start: int, end: int) -> bool:
    """A currency sign or code before the candidate ("$", "€", "USD"), or a unit, a magnitude word or a
    counted noun after it ("km", "%", "million", "dollars", "people", "ratings")."""
    return bool(_CURRENCY_BEFORE.search(_before(text, start, 8)) or _UNIT_AFTER.search(_after(text, end, 24)))


def shaped_like_a_number(candidate: str) -> bool:
    """The candidate's own shape is a number's, not an identifier's: a decimal ("4.002602"), years or a
    year range ("1990-2000"), round thousands ("5 650 000", "1.500.000": groups of three ending 000),
    binary digits ("100100110"), or a dotted quad of 1-3 digit groups that is not all pairs (a version
    or an IP-like "255.256.12.1"; "03.93.92.16" in pairs is a phone's)."""
    if _DECIMAL.match(candidate) or _YEARS.match(candidate) or _BINARY.match(candidate):
        return True
    if _ROUND_THOUSANDS.match(candidate) and candidate.endswith("000"):
        return True
    return bool(_DOTTED_QUAD.match(candidate)) and not _ALL_PAIRS.match(candidate)


def in_number_sequence(text: str, start: int, end: int) -> bool:
    """A candidate of space-separated groups ("21 24 27 30") that another number continues on the same
    line, before or after: a table row or a sequence the shape cut into pieces, not one number."""
    if not _SPACED_GROUPS.match(text[start:end]):
        return False
    return bool(_DIGIT_SPACE_BEFORE.search(_before(text, start, 8)) or _SPACE_DIGIT_AFTER.match(_after(text, end, 4)))


def in_code(text: str, start: int, end: int) -> bool:
    """Inside code: after ``0x``, the value of an assignment (``x = 12345678``, ``ids = ['4111...``),
    inside inline backticks on the same line, or inside a fenced code block (an odd number of
    ``````` before it)."""
    before = _before(text, start)
    if _HEX_BEFORE.search(before) or _ASSIGNMENT_BEFORE.search(before):
        return True
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if text.count("`", line_start, start) % 2 == 1 and "`" in text[end:line_end]:
        return True
    return text.count("```", 0, start) % 2 == 1


def in_math_problem(text: str, start: int, end: int) -> bool:
    """An unformatted digit run ("123456789", "+9615514510") in a math text: a math word ("sum",
    "divisible", "binary", "digits", "convert"...) or an operator between numbers within
    :data:`MATH_WINDOW` characters. Formatted numbers are left to the other checks."""
    if not _UNFORMATTED.match(text[start:end]):
        return False
    window = text[max(0, start - MATH_WINDOW):start] + " " + text[end:end + MATH_WINDOW]
    return _MATH_WORDS.search(window) is not None


#: The context checks of :func:`numeric_context` after the candidate's own shape, cheapest first.
_CONTEXT_CHECKS = (("arithmetic", arithmetic_adjacent), ("range", in_range), ("money_or_unit", money_or_unit),
                   ("sequence", in_number_sequence), ("code", in_code), ("math_problem", in_math_problem))


def numeric_context(text: str, start: int, end: int) -> str | None:
    """Why ``text[start:end]`` reads as a number rather than an identifier, or None.

    The reason is one of "shape", "arithmetic", "range", "money_or_unit", "sequence", "code",
    "math_problem" (the first check that holds, cheapest first). A recognizer drops a candidate with a
    reason unless an explicit cue word comes right before it (:func:`cue_before`).
    """
    if shaped_like_a_number(text[start:end]):
        return "shape"
    return next((reason for reason, check in _CONTEXT_CHECKS if check(text, start, end)), None)


# filler between a cue word and its value: "call me at", "phone number is", "card no.", "SSN: "
_FILLER = r"(?:[\s:#=.,\-(\[\"'*]|\b(?:number|num|no|nr|me|us|him|her|them|at|on|to|is|was|are|now|back|ending|in|" \
          r"my|our|his|the|of)\b)*"


def cue_pattern(words: list[str] | tuple[str, ...]) -> Any:
    """A compiled regex that finds one of ``words`` (whole words, optional plural "s") followed only by
    filler ("me at", "number is", ":", "#") up to the end of the searched string; use it with
    :func:`cue_before`."""
    alternatives = "|".join(r"\s+".join(re.escape(p) for p in w.split()) for w in sorted(words, key=len, reverse=True))
    return re.compile(r"(?<![\w])(?:" + alternatives + r")s?(?![\w])" + _FILLER + r"$", re.IGNORECASE)


def cue_before(text: str, start: int, cue: Any, size: int = WINDOW) -> bool:
    """An explicit cue word right before ``text[start:]`` (only filler words between): "call
    555-0173", "phone: 020 ...", "card number is 4111...". ``cue`` comes from :func:`cue_pattern`."""
    return cue.search(_before(text, start, size)) is not None
