"""The course's figure style, set in one place: every notebook of both editions calls
:func:`use_course_style` once, after its imports.

Chinese labels need a font with CJK glyphs, and no system font is assumed: the course's dependencies
install ``mplfonts``, which ships Noto Sans CJK SC. Latin text keeps matplotlib's DejaVu Sans;
matplotlib falls back to the CJK font glyph by glyph. A label with a glyph that neither font has
raises instead of printing an empty box, and so does Chinese inside ``$...$``: matplotlib's
formula renderer has no fallback and only logs the missing glyph (write Chinese outside the dollars).
"""

import logging
import pathlib
import warnings

import matplotlib as mpl
import mplfonts
from matplotlib import font_manager

#: The font file with the Chinese glyphs (Noto Sans CJK SC, SIL Open Font License).
CJK_FONT = pathlib.Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"


class _MissingFormulaGlyph(logging.Filter):
    def filter(self, record):
        if "does not have a glyph" in record.getMessage():
            raise ValueError(f"a figure label's formula: {record.getMessage()}")
        return True


def use_course_style(rc=None):
    """Register the CJK font, make a missing glyph an error, then apply ``rc`` (matplotlib settings)."""
    font_manager.fontManager.addfont(str(CJK_FONT))
    mathtext = logging.getLogger("matplotlib.mathtext")
    if not any(isinstance(f, _MissingFormulaGlyph) for f in mathtext.filters):
        mathtext.addFilter(_MissingFormulaGlyph())
    cjk = font_manager.FontProperties(fname=CJK_FONT).get_name()
    mpl.rcParams.update({"font.family": ["DejaVu Sans", cjk]})  # a list: matplotlib falls back glyph by glyph
    warnings.filterwarnings("error", message=r"Glyph \d+ .* missing from")
    mpl.rcParams.update(rc or {})
