"""Text patterns more than one part of the reader needs: Chinese characters and full dates.

One definition each, so the crawler's list dates, a page's publication date
and the report body's dates are recognised alike.
"""

from __future__ import annotations

import re

# Chinese ideographs (CJK Unified Ideographs, Extension A, Compatibility Ideographs).
IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Characters of Chinese running text: ideographs plus CJK and full-width punctuation.
CJK_TEXT = IDEOGRAPHS + "\u3000-\u303f\uff00-\uffef"

# A full date: 2024-01-25, 2024/1/25, 2024.01.25, 2024年1月25日 (groups: year, month, day).
FULL_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})(?!\d)\s*日?"
)
