"""Characters that show nothing but change what is shown, pasted in from web pages and other workbooks: C0/C1
controls, soft hyphen, bidirectional marks, embeddings, overrides and isolates (U+202E 'Trojan source'),
zero-width characters, BOM. A module of its own, importing nothing: the isolated reader's child (workbook.py)
strips them from every cell, and cleaning (clean.py) reads names without them."""

# Regex class bodies. LINE_BREAKS (tab, LF, CR) are text a clerk may mean in a cell; the rest never are.
LINE_BREAKS = "\t\n\r"
INVISIBLE_EXCEPT_LINE_BREAKS = ("\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
                                "\u2060-\u206f\ufeff\ufff9-\ufffb")
INVISIBLE_MARKS = INVISIBLE_EXCEPT_LINE_BREAKS + LINE_BREAKS
