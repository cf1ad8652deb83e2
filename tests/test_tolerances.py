from decimal import Decimal

import pytest

from cyps_xl.engine.rating import Measure, direction_of_travel, rag_rating
from cyps_xl.engine.tolerances import ToleranceSyntaxError, parse_band, parse_tolerances
from cyps_xl.engine.values import Reading, as_displayed, read_cell


@pytest.mark.parametrize("text, kind, low, high, percent, note", [
    ("<87%", "lt", "87", None, True, None),
    ("87%+", "ge", "87", None, True, None),
    ("95.2+", "ge", "95.2", None, False, None),
    ("<256.0 (22/23)", "lt", "256.0", None, False, "22/23"),
    ("85%>", "ge", "85", None, True, None),
    ("50-70%", "range", "50", "70", True, None),
    ("2.2%", "target", "2.2", None, True, None),
    ("(2022) 65.2%", "target", "65.2", None, True, "2022"),
    ("70%", "target", "70", None, True, None),
])
def test_every_published_form_parses(text, kind, low, high, percent, note):
    band = parse_band(text)
    assert (band.kind, band.low, band.high, band.percent, band.note) == (
        kind, Decimal(low), Decimal(high) if high else None, percent, note)


@pytest.mark.parametrize("text", ["-", "", None, "n/a"])
def test_absent_bands(text):
    assert parse_band(text) is None


def test_descriptive_targets_are_refused_not_guessed():
    with pytest.raises(ToleranceSyntaxError, match="Lower than same qtr"):
        parse_band("Lower than same qtr previous year")


@pytest.mark.parametrize("value, expected", [("86.9", "red"), ("87.0", "amber"), ("94.9", "amber"), ("95.0", "green")])
def test_standard_ladder_high(value, expected):
    assert parse_tolerances("<87%", "87%+", "95%+").rate(Decimal(value), "high") == expected


@pytest.mark.parametrize("value, expected", [("35", "red"), ("30", "red"), ("22", "amber"), ("21.9", "green")])
def test_ladder_low_picks_the_worst_matching_band(value, expected):
    assert parse_tolerances("30%+", "22%+", "<22%").rate(Decimal(value), "low") == expected


def test_red_band_may_be_the_high_side_with_no_amber():
    t = parse_tolerances("95.2+", "-", "<95.2")
    assert t.rate(Decimal("95.2"), "low") == "red" and t.rate(Decimal("95.1"), "low") == "green"


def test_green_only_target_missed_is_red():
    t = parse_tolerances(None, None, "<85")
    assert t.rate(Decimal("84.9"), "low") == "green" and t.rate(Decimal("85.0"), "low") == "red"


def test_value_is_compared_as_displayed():
    measure = Measure("high", parse_tolerances("<77%", "77%+", "90%+"), "0.0%", None)
    assert rag_rating(Reading(0.76999999), measure).band == "amber"  # shown as 77.0%
    assert rag_rating(Reading(0.7694), measure).band == "red"  # shown as 76.9%
    assert as_displayed(0.9045, 1, True) == Decimal("90.5")  # Excel rounds half away from zero


def test_percent_tolerances_need_a_percent_row():
    measure = Measure("high", parse_tolerances("<65%", "65%+", "75%+"), "0", None)
    rag = rag_rating(Reading(52), measure)
    assert rag.band is None and "tolerances are in %" in rag.reason


@pytest.mark.parametrize("red, amber, green, polarity, message", [
    ("103.6+", "98.8+", "<98.7", "low", "gap: 98.7 is in no band"),
    ("<87%", "87%+", "95%+", "low", "contradicts 'good performance is low'"),
    ("<90%", "-", "85%+", "high", "overlap"),
    ("<87%", "87%+", "95%+", "info", "not rated"),
])
def test_band_problems_are_explained(red, amber, green, polarity, message):
    problems = parse_tolerances(red, amber, green).problems(polarity)
    assert problems and message in problems[0]


def test_published_bands_have_no_problems():
    assert parse_tolerances("10.2%+", "2.2%+", "<2.2%").problems("low") == []
    assert parse_tolerances("<87%", "87%+", "95%+").problems("high") == []


@pytest.mark.parametrize("now, before, polarity, direction, trend", [
    (0.922, 0.884, "high", "up", "improving"),
    (0.160, 0.138, "low", "up", "declining"),
    (0.794, 0.7941, "high", "same", "neutral"),  # both shown as 79.4%
    (216, 158, "info", "up", "neutral"),
    (380.5, 394.1, "low", "down", "improving"),
])
def test_direction_of_travel(now, before, polarity, direction, trend):
    fmt = "0.0%" if isinstance(now, float) and now < 1 else "0.0"
    dot = direction_of_travel(Reading(now), Reading(before), polarity, fmt)
    assert (dot.direction, dot.trend) == (direction, trend)


def test_placeholders_are_no_value_with_the_reason_kept():
    for text in ("-", "n/a", "Temporarily suspended", "Available in May", "New measure 2022/23"):
        reading = read_cell(text)
        assert reading.number is None and reading.reason == text
    dot = direction_of_travel(read_cell(6), read_cell("-"), "info", "0")
    assert dot.direction is None and "'-'" in dot.reason
    assert read_cell("#N/A").error == "#N/A"
    assert read_cell(0).number == 0.0  # a real zero stays a zero


def test_the_usual_figure_is_shown_as_the_general_rounding_shows_it():
    """as_displayed rounds a figure of the usual size without rounded()'s checks: the same answer, to the digit and
    the sign, as rounded() gives for every number of places a format can ask (0 to 15), % or not."""
    import random
    from decimal import Decimal

    from cyps_xl.engine import values

    rng = random.Random(27)
    for _ in range(20000):
        number = rng.choice([rng.random(), rng.uniform(-1e9, 1e9), rng.uniform(-1e4, 1e4), 0.5, 2.5, -0.5, 0.125,
                             1e-9, 999999999.9999999, -999999999.5, 1e9, -1e9, 0.0, -0.0, 7])
        places, percent = rng.randrange(16), rng.choice([True, False])
        exact = Decimal(format(number, ".15g"))
        expected = values.rounded(exact.scaleb(2) if percent else exact, places)
        got = values.as_displayed(number, places, percent)
        assert (str(got), got.is_signed()) == (str(expected), expected.is_signed()), (number, places, percent)


_LADDERS = [("<87%", "87%+", "95%+"), ("30%+", "22%+", "<22%"), (None, None, "70%"), ("<2", "2-3", ">3"),
            (None, None, "<=2.25"), ("<77.5%", "77.5%-89.9%", ">=90%"), ("<256.0 (22/23)", None, None),
            ("<0.5%", "0.5%-0.6%", "0.7%+"), ("<1500", "1500+", "2000+")]
_FORMATS = ["0%", "0.0%", "0.00%", "0", "0.0", "0.00", "#,##0", "General"]


def _near_every_edge(tolerances, number_format):
    """Cell values on, just inside and just outside each threshold, half a displayed step either side (where
    rounding decides), a step away and further: display units back to the cell's (a % cell holds a fraction)."""
    from cyps_xl.engine.values import format_precision

    decimals, percent = format_precision(number_format)
    step = 10.0 ** -(decimals if decimals is not None else 3)
    values = []
    for edge in tolerances.edges:
        for offset in (0, 0.5, 0.49999, 0.50001, 1, 1.5, 2, 7.3):
            for sign in (1, -1):
                for tiny in (0, 1e-13, -1e-13):
                    shown = edge + sign * offset * step + tiny
                    values.append(shown / 100 if percent else shown)
    return values


@pytest.mark.parametrize("ladder", _LADDERS)
@pytest.mark.parametrize("number_format", _FORMATS)
def test_a_value_rated_without_rounding_gets_the_rating_its_displayed_value_gets(ladder, number_format):
    """rag_rating rates a value clear of every threshold as it is, and rounds only one near a threshold: the rating
    is always the displayed value's, however close to a threshold it lies (#27)."""
    tolerances = parse_tolerances(*ladder)
    for polarity in ("high", "low"):
        measure = Measure(polarity, tolerances, number_format, None)
        decimals, percent = measure.precision
        if tolerances.percent and not percent:
            continue
        for value in _near_every_edge(tolerances, number_format):
            shown = as_displayed(value, decimals, percent)
            band = tolerances.rate(shown, polarity)
            got = rag_rating(Reading(value), measure)
            assert got.band == band, (value, shown, polarity)
            if band is None:
                assert got.reason == f"{shown} falls in a gap between the tolerance bands"


@pytest.mark.parametrize("number_format", _FORMATS)
def test_a_direction_judged_without_rounding_is_the_displayed_values_direction(number_format):
    """direction_of_travel compares two values more than a displayed step apart as they are: the direction is
    the displayed values', and two that show the same are the same, however close."""
    from cyps_xl.engine.values import format_precision

    decimals, percent = format_precision(number_format)
    step = 10.0 ** -(decimals if decimals is not None else 3) / (100 if percent else 1)
    for base in (0.0, 0.8765, 87.65, 1234.5, -3.25, 0.005, 1e9 + 0.5):
        for offset in (0, 0.5, 0.49999, 0.50001, 0.99999, 1, 1.00001, 1.5, 2.5, 40):
            for tiny in (0, 1e-12, -1e-12):
                other = base + offset * step + tiny * max(1.0, abs(base))
                for current, previous in ((other, base), (base, other)):
                    now, before = (as_displayed(v, decimals, percent) for v in (current, previous))
                    expected = "same" if now == before else "up" if now > before else "down"
                    assert direction_of_travel(Reading(current), Reading(previous), "high", number_format).direction \
                        == expected, (current, previous)


def test_a_value_clear_of_every_edge_is_rated_as_a_float_as_its_exact_value_is():
    """A value farther from every edge than rounding can move it is rated unrounded, compared with the bands'
    thresholds as floats (#27: a float against a Decimal took 0.5 us): the band its exact value falls in."""
    import random
    from decimal import Decimal

    from cyps_xl.engine.tolerances import Tolerances, parse_band
    from cyps_xl.engine.values import clear_of

    ladders = [("<87%", "87%+", "95%+"), (">20", "10-20", "<10"), ("<=12.5", None, ">12.5"), (None, None, "100"),
               ("<0.3", "0.3-0.35", ">0.35"), (">=1000", "900-999.9", "<900")]
    chosen = random.Random(27)
    checked = 0
    for red, amber, green in ladders:
        tolerances = Tolerances(parse_band(red), parse_band(amber), parse_band(green))
        for _ in range(400):
            edge = chosen.choice(tolerances.edges)
            value = edge + chosen.uniform(-2, 2) * chosen.choice([1, 0.1, 0.01, 0.001])
            for decimals in (0, 1, 2, 3):
                if not clear_of(value, tolerances.edges, decimals):
                    continue
                for polarity in ("high", "low"):
                    checked += 1
                    assert tolerances.rate(value, polarity) == tolerances.rate(Decimal(value), polarity), \
                        (red, amber, green, value, polarity)
    assert checked > 4000


def test_a_reading_made_from_a_number_is_the_reading_the_class_makes():
    """The reader makes a cell's Reading without the frozen dataclass's __init__ (#27): equal, hashed alike,
    present, and as frozen."""
    import dataclasses

    from cyps_xl.engine.values import number_reading

    for number in (0.0, -1.5, 741.0, 0.7370373061104398):
        made = number_reading(number)
        assert made == Reading(number) and hash(made) == hash(Reading(number)) and made.present
        assert (made.number, made.reason, made.error) == (number, None, None) and repr(made) == repr(Reading(number))
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.number = 1.0
