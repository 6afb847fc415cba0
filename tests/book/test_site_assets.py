"""What covidat.book.site and covidat.book.mathml do to the site's assets, checked without a build."""
import io

import pytest
from fontTools.ttLib import TTFont
from sphinx.errors import ExtensionError

from covidat.book import mathml, site

CSS = ('@font-face{font-family:x}.used{color:red}.unused{color:blue}.unused,.used:hover{margin:0}'
       '@media (min-width:1px){.unused .used{padding:0}.used>.x-[href$=".y"]{top:0}}'
       '.fa-bars,.fa-navicon{--fa:"\\f0c9"}.fa-xmark{--fa:"\\f00d"}:is(.used,.unused) p{left:0}'
       '/* Text.Whitespace */ .used .w{color:gray}/*! licence */.unused{top:1px}')


def test_purge_keeps_every_rule_that_can_match_and_only_those():
    # Catches a purge that drops styles of markup the site has (the page would lose its layout) or that
    # keeps the rules of absent markup (the stylesheet stays 0.4 MB).
    kept = site.purged_css(CSS, {"used", "fa-bars", "x-", "w"})
    for rule in ("@font-face{font-family:x}", ".used{color:red}", ".unused,.used:hover{margin:0}",
                 '.used>.x-[href$=".y"]{top:0}', '.fa-bars,.fa-navicon{--fa:"\\f0c9"}', ".used .w{color:gray}",
                 "/*! licence */"):
        assert rule in kept, rule
    for rule in (".unused{color:blue}", ".unused .used{padding:0}", ".fa-xmark", ":is(.used,.unused) p", "top:1px"):
        assert rule not in kept, rule


def test_icon_font_keeps_exactly_the_icons_asked_for():
    # Catches a subset that loses an icon the pages show (the browser would fetch the theme's full font).
    woff2 = (site.NODE_MODULES / "@fortawesome/fontawesome-free/webfonts/fa-solid-900.woff2").read_bytes()
    small = site.glyphs_only(woff2, {0xF0C9, 0xF002})
    assert len(small) < len(woff2) / 20
    assert set(TTFont(io.BytesIO(small)).getBestCmap()) == {0xF0C9, 0xF002}


def test_tex_becomes_mathml_and_bad_tex_stops_the_build():
    # Catches a formula left as raw TeX, and a typo that would show a red error box on the page.
    inline, block = mathml.to_mathml([("d = p_M - p_P", False), (r"\frac{a}{b}", True)])
    assert inline.startswith("<math") and "<msub><mi>p</mi><mi>M</mi></msub>" in inline
    assert 'display="block"' in block and "<mfrac>" in block
    with pytest.raises(ExtensionError, match=r"TeX error in '\\\\fracc\{a\}\{b\}': Undefined control sequence"):
        mathml.to_mathml([(r"\fracc{a}{b}", False)])
