"""Mathematics is out of scope for now: a formula is one located message, a dollar is text.

pandoc's ``tex_math_dollars`` is off (convert.READER), so ``$HOME/bin:$PATH`` or
"between $5 and $10" stay the text they are. What still looks like TeX, a
``$$…$$`` display or a ``$…$`` holding ``\\``, ``^``, ``_`` or braces, or a ``\\(…\\)``,
is reported once per chapter, at its line, rather than printed as stray
dollars. Code (fenced blocks, indented blocks, inline code) is never searched.
"""

from __future__ import annotations

import re

from folio.errors import Problem

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[^\n]*\n.*?^\1\2[`~]*[ \t]*$", re.M | re.S)
_INDENTED = re.compile(r"^(?:    |\t)[^\n]*$", re.M)
_INLINE_CODE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_FORMULA = re.compile(
    r"\$\$.+?\$\$"                                    # display math
    r"|(?<![\\\w$])\$(?=\S)[^$\n]*?[\\^_{}][^$\n]*?(?<=\S)\$(?!\d)"  # $x^2$, $\alpha$
    r"|\\\(.+?\\\)|\\\[.+?\\\]", re.S)


def _blank(match: re.Match) -> str:
    """The matched text with every character but the line breaks made a space."""
    return re.sub(r"[^\n]", " ", match.group(0))


def formula_problems(text: str, shown: str) -> list[Problem]:
    """One problem for the first formula of a chapter (with how many there are), else none."""
    prose = _INLINE_CODE.sub(_blank, _INDENTED.sub(_blank, _FENCE.sub(_blank, text)))
    found = list(_FORMULA.finditer(prose))
    if not found:
        return []
    first = found[0]
    more = f" (and {len(found) - 1} more in this file)" if len(found) > 1 else ""
    snippet = " ".join(first.group(0).split())
    snippet = snippet if len(snippet) <= 40 else snippet[:37] + "..."
    return [Problem(f"mathematics is not supported yet: '{snippet}' is a formula{more};"
                    " write it in words or as an image (a $ in prose is text)",
                    shown, prose.count("\n", 0, first.start()) + 1)]
