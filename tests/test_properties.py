"""Property-based tests of the tolerance parser and the RAG and DOT rules."""
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cyps_xl.engine.rating import direction_of_travel
from cyps_xl.engine.tolerances import Band, Tolerances, parse_band
from cyps_xl.engine.values import Reading

ORDER = {"red": 0, "amber": 1, "green": 2}
thresholds = st.decimals(min_value=Decimal("0.1"), max_value=Decimal("99.0"), places=1)
values = st.decimals(min_value=Decimal("-10.0"), max_value=Decimal("120.0"), places=1)


@st.composite
def complete_bands(draw, polarity):
    """Red/Amber/Green in the published shape, complete at one decimal place."""
    low = draw(thresholds)
    high = draw(thresholds.filter(lambda t: t > low))
    if polarity == "high":  # Red <low, Amber low+, Green high+
        return Tolerances(parse_band(f"<{low}%"), parse_band(f"{low}%+"), parse_band(f"{high}%+"))
    return Tolerances(parse_band(f"{high}%+"), parse_band(f"{low}%+"), parse_band(f"<{low}%"))  # low is good


@settings(max_examples=300)
@given(st.sampled_from(["high", "low"]), st.data(), values, values)
def test_a_value_never_moves_to_a_worse_band_as_it_improves(polarity, data, a, b):
    bands = data.draw(complete_bands(polarity))
    worse, better = (min(a, b), max(a, b)) if polarity == "high" else (max(a, b), min(a, b))
    assert ORDER[bands.rate(better, polarity)] >= ORDER[bands.rate(worse, polarity)]


@settings(max_examples=300)
@given(st.data(), values)
def test_swapping_polarity_mirrors_the_result(data, value):
    """Bands for 'high' mirrored around zero rate -value for 'low' as they rate value for 'high'."""
    bands = data.draw(complete_bands("high"))

    def mirror(band: Band | None) -> Band | None:
        if band is None:
            return None
        kind = {"lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}.get(band.kind, band.kind)
        return Band(kind, -band.low, percent=band.percent, text=band.text)

    mirrored = Tolerances(mirror(bands.red), mirror(bands.amber), mirror(bands.green))
    assert mirrored.rate(-value, "low") == bands.rate(value, "high")


@settings(max_examples=300)
@given(st.sampled_from(["high", "low"]), st.data(), values)
def test_every_number_falls_in_exactly_one_band_when_bands_are_complete(polarity, data, value):
    bands = data.draw(complete_bands(polarity))
    assert bands.problems(polarity) == []
    rating = bands.rate(value, polarity)
    assert rating in ORDER
    # exactly one: green and red never both hold, and amber is what lies between
    assert not (bands.green.matches(value, polarity) and bands.red.matches(value, polarity))


@given(st.sampled_from(["<", ">", "<=", ">=", ""]), thresholds, st.booleans(), st.sampled_from(["", "+", ">"]))
def test_the_parser_reads_back_the_number_it_was_given(prefix, number, percent, suffix):
    assume(not (prefix and suffix))
    text = f"{prefix}{number}{'%' if percent else ''}{suffix}"
    band = parse_band(text)
    assert band.low == number and band.percent == percent and band.text == text


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
       st.sampled_from(["high", "low", "info"]))
def test_dot_is_antisymmetric_and_its_colour_follows_polarity(a, b, polarity):
    forward = direction_of_travel(Reading(a), Reading(b), polarity, "0.0")
    backward = direction_of_travel(Reading(b), Reading(a), polarity, "0.0")
    flip = {"up": "down", "down": "up", "same": "same"}
    assert backward.direction == flip[forward.direction]
    if polarity == "info" or forward.direction == "same":
        assert forward.trend == "neutral"
    else:
        assert forward.trend != backward.trend and {forward.trend, backward.trend} == {"improving", "declining"}
