"""The genre styles, as data: the drum, bass, comping and melody patterns, the drum kits, and one
:class:`GenreStyle` per GTZAN genre holding the distributions its artists and clips are drawn from
(neighbouring genres share choices on purpose)."""

from __future__ import annotations

from dataclasses import dataclass, field

from genrekit.errors import ConfigError

#: GTZAN's ten genres in its (alphabetical) order; the index is part of every clip's seed.
GTZAN_GENRES: tuple[str, ...] = (
    "blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock",
)


# --------------------------------------------------------------------------------------------
# Patterns: one character per 16th step. Drums: X accent, x normal, o ghost, . rest.
# Bass: a chord degree (1 3 5 6 7 8) starts a note, '-' holds it. Comping: X/x/o start a chord.
# --------------------------------------------------------------------------------------------

_VELOCITY = {"X": 1.0, "x": 0.75, "o": 0.4}

_DRUMS: dict[str, dict[str, str]] = {
    "none": {},
    "rock": {"kick": "X.....x.X.......", "snare": "....X.......X...", "chat": "x.x.x.x.x.x.x.x."},
    "rock_ride": {"kick": "X.......X.x.....", "snare": "....X.......X...", "ride": "x.x.x.x.x.x.x.x."},
    "halftime": {"kick": "X.........x.....", "snare": "........X.......", "chat": "x.x.x.x.x.x.x.x."},
    "double_kick": {"kick": "xxxxxxxxxxxxxxxx", "snare": "....X.......X...", "ride": "X...X...X...X..."},
    "blast": {"kick": "x.x.x.x.x.x.x.x.", "snare": ".x.x.x.x.x.x.x.x", "ride": "x.x.x.x.x.x.x.x."},
    "thrash": {"kick": "X...X...X...X...", "snare": "..X...X...X...X.", "chat": "x.x.x.x.x.x.x.x."},
    "disco": {"kick": "X...X...X...X...", "snare": "....X.......X...", "ohat": "..x...x...x...x.",
                  "chat": "x...x...x...x..."},
    "disco16": {"kick": "X...X...X...X...", "clap": "....X.......X...", "chat": "xoxoxoxoxoxoxoxo",
                    "ohat": "..x...x...x...x."},
    "four_floor": {"kick": "X...X...X...X...", "clap": "....X.......X...", "chat": "..x...x...x...x."},
    "pop": {"kick": "X......xX.x.....", "snare": "....X.......X...", "chat": "x.x.x.x.x.x.x.x.",
            "tamb": "....x.......x..."},
    "boom_bap": {"kick": "X.....x...X..x..", "snare": "....X.......X...", "chat": "x.x.x.x.x.x.x.x."},
    "boom_bap2": {"kick": "X..x......X.....", "snare": "....X..o....X...", "chat": "x.xxx.x.x.xxx.x."},
    "one_drop": {"kick": "........X.......", "rim": "........X.......", "chat": "x.x.x.x.x.x.x.x."},
    "rockers": {"kick": "X.......X.......", "rim": "....X.......X...", "chat": "x.x.x.x.x.x.x.x."},
    "steppers": {"kick": "X...X...X...X...", "rim": "........X.......", "chat": "x.x.x.x.x.x.x.x."},
    "jazz_ride": {"ride": "X...x.x.X...x.x.", "phat": "....x.......x...", "kick": "o...o...o...o..."},
    "jazz_brush": {"brush": "x.o.x.o.x.o.x.o.", "swish": "x.......x.......", "ride": "o...o.o.o...o.o.",
                       "phat": "....x.......x..."},
    "shuffle": {"kick": "X.......X.......", "snare": "....X.......X...", "chat": "x.x.x.x.x.x.x.x."},
    "slow_blues": {"kick": "X.......X.......", "snare": "....X.......X...", "ride": "x.x.x.x.x.x.x.x."},
    "train": {"kick": "X.......X.......", "brush": "ooxoXoxoooxoXoxo"},
    "two_step": {"kick": "X.......X.......", "rim": "....X.......X...", "chat": "x.x.x.x.x.x.x.x."},
}
# Random ghost snares on 8th positions (a drummer's chatter), per drum pattern.
_GHOSTS = {"jazz_ride": 0.15, "boom_bap": 0.08, "boom_bap2": 0.08, "shuffle": 0.1, "slow_blues": 0.08, "rock": 0.03}

_BASS: dict[str, tuple[tuple[str, ...], float]] = {
    # name: (patterns, gate as a fraction of the written length)
    "root8": (("1-1-1-1-1-1-1-1-",), 0.85),
    "root16": (("1111111111111111",), 0.7),
    "root_fifth": (("1-------5-------", "1-------5---3---", "1---5---1---5---"), 0.6),
    "octave": (("1-8-1-8-1-8-1-8-", "1-8-1-8-1-8-5-8-"), 0.5),
    "reggae": (("..1-.1.5-...3-5-", "1--.3.5-..1-.5..", "..1-1-..5-..3-1-", "1-..1-3-5-..8-5-"), 0.9),
    "boogie": (("1-3-5-6-8-6-5-3-", "1---3-5-6---5-3-"), 0.8),
    "pop_sync": (("1--1--1-1--1--1-", "1-------1-1-----", "1--1--1---1-5---"), 0.85),
    "long": (("1-------........", "1-----------5---", "1---------------"), 0.95),
    "half": (("1-------5-------", "1-------1-------"), 0.9),
    "sustain": (("1---------------", "1-------5-------", "1-------3-------"), 1.0),
    "walking": ((), 0.9),  # generated: chord tones and approach notes on every beat
    "kick": ((), 0.9),  # generated: one note per kick drum hit
}


@dataclass(frozen=True)
class _CompStyle:
    patterns: tuple[str, ...]
    voicing: str  # chord | power | rootless | dyad56 | arp
    gate: float  # fraction of the written length
    gate_max: float = 8.0  # seconds


_COMPS: dict[str, _CompStyle] = {
    "whole": _CompStyle(("x---------------", "x-------x-------"), "chord", 1.0),
    "half": _CompStyle(("x-------x-------",), "chord", 0.95),
    "block4": _CompStyle(("x---x---x---x---", "x---x---x---x-x-"), "chord", 0.6),
    "strum8": _CompStyle(("X-x-x-x-X-x-x-x-", "X-x-.-x-X-x-.-x-", "X--x--x-X--x--x-"), "chord", 0.9),
    "power8": _CompStyle(("X-x-x-x-X-x-x-x-", "X-x-x-X-x-x-X-x-"), "power", 0.9),
    "chug16": _CompStyle(("XxxxXxxxXxxxXxxx", "XxxXxxXxXxxXxxXx", "X-xxX-xxX-xxXxxx"), "power", 0.45, 0.12),
    "offbeat8": _CompStyle(("..x...x...x...x.",), "chord", 0.5, 0.16),
    "skank": _CompStyle(("....x.......x...", "....x.x.....x.x."), "chord", 0.5, 0.14),
    "stab16": _CompStyle(("..x..x....x..x..", "..x.x.x...x.x.x.", ".xx..x.x.xx..x.x"), "chord", 0.5, 0.09),
    "boomchick": _CompStyle(("....x-......x-..", "....x-..x...x-.."), "chord", 0.7, 0.3),
    "boogie": _CompStyle(("x-x-x-x-x-x-x-x-",), "dyad56", 0.85),
    "arp": _CompStyle(("x-x-x-x-x-x-x-x-", "xxxxxxxxxxxxxxxx", "x---x---x---x---"), "arp", 1.6),
    "jazz_comp": _CompStyle((), "rootless", 0.9),  # generated: 1-3 syncopated stabs per bar
    "loop": _CompStyle((), "chord", 0.9),  # generated once per clip: a repeating two-bar sample chop
}


@dataclass(frozen=True)
class _LeadStyle:
    timbre: str
    scale: str  # a _SCALES name, or 'mode' for the progression's major/minor
    register: tuple[int, int]
    cells: tuple[tuple[int, ...], ...]  # rhythm cells, note lengths in 16th steps
    phrase_bars: int = 2
    density: float = 0.7  # probability that a phrase is played rather than rested
    rest: float = 0.1  # probability that a note of a phrase is a rest
    bend: float = 0.0  # probability of a note sliding up from below
    chromatic: float = 0.0  # probability of a chromatic passing note on a weak step
    gate: float = 0.92
    level: float = 0.0  # dB relative to the lead bus


_LEADS: dict[str, _LeadStyle | None] = {
    "none": None,
    "blues_guitar": _LeadStyle("clean_gtr", "blues", (57, 81), ((2, 2), (1, 1, 2), (4,), (2, 1, 1), (6, 2), (8,)),
                               density=0.6, rest=0.15, bend=0.35),
    "harmonica": _LeadStyle("reed", "blues", (60, 84), ((2, 2), (4,), (2, 6), (8,)), density=0.55, bend=0.3),
    "fiddle": _LeadStyle("fiddle", "major_pent", (62, 86), ((2, 2), (1, 1, 1, 1), (2, 1, 1), (4,)), density=0.75,
                         rest=0.05, bend=0.15),
    "twang_lead": _LeadStyle("twang", "major_pent", (59, 83), ((2, 2), (1, 1, 2), (4,), (3, 3, 2)), density=0.6,
                             bend=0.3),
    "sung": _LeadStyle("voice", "mode", (55, 72), ((2, 2), (4,), (3, 3, 2), (2, 4, 2), (8,), (6, 2)), density=0.7,
                       rest=0.12),
    "rap": _LeadStyle("rap_voice", "mode", (47, 53), ((1,), (1,), (2,), (1, 1)), phrase_bars=4, density=0.85,
                      rest=0.2, gate=0.8),
    "bebop_sax": _LeadStyle("reed", "mixolydian", (55, 79), ((2, 2), (2, 2, 2, 2), (1, 1, 2), (4,)), density=0.75,
                            rest=0.05, chromatic=0.25),
    "bebop_brass": _LeadStyle("brass", "mixolydian", (58, 82), ((2, 2), (2, 2, 2, 2), (4,), (2, 6)),
                              density=0.7, rest=0.08, chromatic=0.2),
    "bebop_piano": _LeadStyle("piano", "dorian", (60, 84), ((2, 2), (2, 2, 2, 2), (1, 1, 2)), density=0.7,
                              chromatic=0.2),
    "shred": _LeadStyle("dist_gtr", "harmonic_minor", (59, 88), ((1, 1, 1, 1), (1, 1, 2), (4,), (2, 2)),
                        density=0.7, rest=0.03, bend=0.1),
    "rock_guitar": _LeadStyle("dist_gtr", "minor_pent", (57, 84), ((2, 2), (1, 1, 2), (4,), (6, 2), (8,)),
                              density=0.55, bend=0.3),
    "synth_lead": _LeadStyle("synth_lead", "mode", (60, 79), ((2, 2), (4,), (3, 3, 2), (2, 1, 1)), density=0.65),
    "violin": _LeadStyle("violin", "mode", (64, 88), ((4,), (2, 2), (8,), (4, 2, 2), (6, 2)), phrase_bars=4,
                         density=0.85, rest=0.04, gate=1.0),
    "flute": _LeadStyle("flute", "mode", (67, 91), ((4,), (2, 2), (8,), (4, 2, 2), (2, 2, 4)), phrase_bars=4,
                        density=0.8, rest=0.05, gate=0.98),
    "piano_melody": _LeadStyle("piano", "mode", (64, 86), ((4,), (2, 2), (1, 1, 2), (8,), (2, 2, 4)),
                               phrase_bars=4, density=0.85, rest=0.05),
    "horns": _LeadStyle("brass", "mode", (58, 77), ((2, 2), (1, 3), (2, 6), (4, 4)), density=0.45, rest=0.3,
                        gate=0.6),
}
_DISTORTED_LEADS = {"shred": 1.0, "rock_guitar": 0.7, "blues_guitar": 0.15}

# Drum kits: (kick pitch Hz, kick decay s, kick click, snare tone Hz, snare decay s, snare noise, hat tune, hat decay s)
_KITS: dict[str, tuple[float, ...]] = {
    "rock": (55, 0.3, 0.4, 190, 0.18, 0.7, 1.0, 0.05),
    "metal": (60, 0.2, 0.9, 210, 0.15, 0.65, 1.15, 0.04),
    "jazz": (68, 0.25, 0.15, 230, 0.14, 0.5, 0.9, 0.06),
    "vintage": (58, 0.28, 0.2, 200, 0.16, 0.55, 0.85, 0.06),
    "disco": (52, 0.32, 0.5, 185, 0.2, 0.75, 1.1, 0.05),
    "pop": (50, 0.35, 0.5, 195, 0.2, 0.8, 1.2, 0.04),
    "boom": (48, 0.55, 0.3, 180, 0.22, 0.75, 0.95, 0.05),
    "reggae": (56, 0.35, 0.2, 280, 0.1, 0.45, 1.0, 0.05),
}


# --------------------------------------------------------------------------------------------
# Genres
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GenreStyle:
    """The distributions one genre's artists and clips are drawn from.

    Categorical fields map a choice to its weight; ranges are ``(low, high)`` drawn uniformly per
    artist; ``(mean, sd)`` pairs are normal. Neighbouring genres share choices on purpose.
    """

    tempo: tuple[float, float]  # bpm mean, sd
    swing: tuple[float, float, float]  # probability an artist swings, swing ratio mean, sd
    swing_unit: int  # 8 or 16: the subdivision that swings
    drums: dict[str, float]
    bass: dict[str, float]
    comp: dict[str, float]
    comp_timbre: dict[str, float]
    pad: dict[str, float]  # sustained chord instrument ('none' for none)
    bass_timbre: dict[str, float]
    lead: dict[str, float]
    progressions: dict[str, float]
    kit: dict[str, float]
    mix: dict[str, float]  # bus level in dB: drums bass comp pad lead
    drive: tuple[float, float]  # guitar distortion drive (0 = clean)
    reverb: tuple[float, float]  # wet gain
    room: tuple[float, float]  # reverb time RT60, s
    dynamics: tuple[float, float]  # slow level swings, peak-to-peak dB
    compression: tuple[float, float]  # compressor ratio
    loudness: tuple[float, float]  # RMS in dBFS, mean and sd
    era: float  # probability an artist sounds like an old recording (narrow band, hiss, crackle)
    hiss: tuple[float, float]  # background noise relative to the music, dB
    crackle: float  # probability of vinyl crackle (besides old recordings)
    jitter: float  # timing humanisation sd, s
    fill: float  # probability of a drum fill at the end of a 4-bar section
    drift: float = 0.005  # slow tempo wander, relative sd
    meter3: float = 0.0  # probability of 3/4
    comp_lowpass: tuple[float, float] = (0.0, 0.0)  # sampled-loop darkening of the comping bus, Hz (0 = off)
    # Probability that a clip takes its arrangement (drum pattern, bass line, comping rhythm,
    # progression, melody) from a neighbouring genre while keeping its own artist's instruments,
    # tempo and production: the crossover tracks that make rock/metal or disco/pop hard to tell apart.
    neighbours: dict[str, float] = field(default_factory=dict)


_MIX = {"drums": 0.0, "bass": -2.0, "comp": -3.0, "pad": -8.0, "lead": -1.0}

_GENRES: dict[str, GenreStyle] = {
    "blues": GenreStyle(
        tempo=(105, 22), swing=(0.8, 1.9, 0.25), swing_unit=8,
        drums={"shuffle": 0.45, "slow_blues": 0.2, "rock": 0.1, "two_step": 0.15, "jazz_ride": 0.1},
        bass={"boogie": 0.4, "walking": 0.2, "root8": 0.15, "root_fifth": 0.15, "half": 0.1},
        comp={"boogie": 0.35, "block4": 0.15, "strum8": 0.15, "jazz_comp": 0.1, "whole": 0.15, "arp": 0.1},
        comp_timbre={"piano": 0.3, "clean_gtr": 0.3, "acoustic": 0.2, "organ": 0.1, "epiano": 0.1},
        pad={"none": 0.65, "organ": 0.25, "strings": 0.1},
        bass_timbre={"bass_electric": 0.55, "bass_upright": 0.45},
        lead={"blues_guitar": 0.45, "sung": 0.2, "harmonica": 0.25, "none": 0.1},
        progressions={"I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7": 3, "I7 IV7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7": 2,
                      "i7 i7 i7 i7 iv7 iv7 i7 i7 bVI7 V7 i7 V7": 1, "I7 I7 IV7 IV7": 0.5},
        kit={"vintage": 0.6, "rock": 0.4}, mix=_MIX,
        drive=(0.0, 3.0), reverb=(0.1, 0.35), room=(0.6, 1.5), dynamics=(3, 8), compression=(1.5, 3.0),
        loudness=(-19, 3), era=0.65, hiss=(-45, -30), crackle=0.1, jitter=0.012, fill=0.3,
        neighbours={"jazz": 0.08, "country": 0.08, "rock": 0.05},
    ),
    "classical": GenreStyle(
        tempo=(92, 22), swing=(0.0, 1.0, 0.0), swing_unit=8,
        drums={"none": 1.0},
        bass={"sustain": 0.5, "half": 0.3, "long": 0.2},
        comp={"arp": 0.35, "whole": 0.35, "half": 0.2, "block4": 0.1},
        comp_timbre={"piano": 0.4, "strings": 0.4, "acoustic": 0.1, "organ": 0.1},
        pad={"strings": 0.45, "none": 0.45, "organ": 0.1},
        bass_timbre={"cello": 0.6, "piano": 0.4},
        lead={"violin": 0.35, "flute": 0.2, "piano_melody": 0.25, "none": 0.2},
        progressions={"I IV V7 I": 2, "I vi ii V7": 2, "i iv V7 i": 2, "I ii V7 I vi IV V7 I": 1,
                      "i VI iv V7": 1, "I V vi iii IV I IV V": 1},
        kit={"rock": 1.0}, mix={"drums": 0.0, "bass": -3.0, "comp": -2.0, "pad": -3.0, "lead": 0.0},
        drive=(0.0, 0.0), reverb=(0.3, 0.6), room=(1.5, 2.5), dynamics=(12, 24), compression=(1.0, 1.3),
        loudness=(-25, 4), era=0.4, hiss=(-55, -40), crackle=0.0, jitter=0.02, fill=0.0, drift=0.06, meter3=0.25,
        neighbours={"jazz": 0.03},
    ),
    "country": GenreStyle(
        tempo=(118, 22), swing=(0.3, 1.6, 0.2), swing_unit=8,
        drums={"two_step": 0.4, "train": 0.3, "shuffle": 0.15, "rock": 0.15},
        bass={"root_fifth": 0.6, "walking": 0.1, "root8": 0.2, "boogie": 0.1},
        comp={"boomchick": 0.35, "strum8": 0.35, "arp": 0.15, "block4": 0.15},
        comp_timbre={"acoustic": 0.5, "twang": 0.3, "piano": 0.15, "clean_gtr": 0.05},
        pad={"none": 0.7, "strings": 0.2, "organ": 0.1},
        bass_timbre={"bass_electric": 0.7, "bass_upright": 0.3},
        lead={"fiddle": 0.3, "twang_lead": 0.25, "sung": 0.35, "none": 0.1},
        progressions={"I I IV IV I I V V": 2, "I IV V I": 2, "I I I I IV IV I I V7 IV I I": 1.0, "I vi IV V": 0.6},
        kit={"rock": 0.5, "vintage": 0.5}, mix=_MIX,
        drive=(0.0, 0.5), reverb=(0.1, 0.3), room=(0.8, 1.4), dynamics=(3, 6), compression=(2.0, 4.0),
        loudness=(-16, 2.5), era=0.45, hiss=(-55, -40), crackle=0.0, jitter=0.008, fill=0.25,
        neighbours={"blues": 0.08, "rock": 0.04, "pop": 0.04},
    ),
    "disco": GenreStyle(
        tempo=(120, 6), swing=(0.05, 1.2, 0.05), swing_unit=16,
        drums={"disco": 0.45, "disco16": 0.35, "four_floor": 0.15, "pop": 0.05},
        bass={"octave": 0.6, "root8": 0.2, "pop_sync": 0.2},
        comp={"stab16": 0.45, "strum8": 0.15, "whole": 0.2, "offbeat8": 0.2},
        comp_timbre={"clean_gtr": 0.45, "epiano": 0.2, "piano": 0.2, "synth_pluck": 0.15},
        pad={"strings": 0.6, "synth_pad": 0.2, "none": 0.2},
        bass_timbre={"bass_electric": 0.6, "bass_synth": 0.4},
        lead={"sung": 0.5, "synth_lead": 0.15, "violin": 0.1, "horns": 0.1, "none": 0.15},
        progressions={"i7 i7 iv7 iv7": 2, "i7 iv7": 1.5, "Imaj7 Imaj7 ii7 ii7": 1, "vi7 ii7 V7 Imaj7": 1,
                      "i9 i9 bVII bVII": 0.7},
        kit={"disco": 0.8, "pop": 0.2}, mix={"drums": 0.0, "bass": -1.0, "comp": -4.0, "pad": -6.0, "lead": -1.0},
        drive=(0.0, 0.0), reverb=(0.1, 0.3), room=(0.8, 1.5), dynamics=(1, 3), compression=(3.0, 6.0),
        loudness=(-14, 2), era=0.2, hiss=(-60, -45), crackle=0.05, jitter=0.003, fill=0.2,
        neighbours={"pop": 0.12},
    ),
    "hiphop": GenreStyle(
        tempo=(90, 8), swing=(0.7, 1.35, 0.12), swing_unit=16,
        drums={"boom_bap": 0.45, "boom_bap2": 0.3, "halftime": 0.1, "pop": 0.05, "one_drop": 0.05, "rockers": 0.05},
        bass={"kick": 0.4, "long": 0.2, "pop_sync": 0.25, "reggae": 0.15},
        comp={"loop": 0.5, "whole": 0.2, "offbeat8": 0.05, "skank": 0.1, "jazz_comp": 0.15},
        comp_timbre={"epiano": 0.35, "piano": 0.25, "strings": 0.15, "synth_pluck": 0.1, "organ": 0.1, "clean_gtr": 0.05},
        pad={"none": 0.6, "synth_pad": 0.25, "strings": 0.15},
        bass_timbre={"bass_808": 0.55, "bass_synth": 0.25, "bass_electric": 0.1, "bass_upright": 0.1},
        lead={"rap": 0.75, "sung": 0.1, "none": 0.15},
        progressions={"i7 i7 bVImaj7 bVImaj7": 2, "i9 i9 i9 i9": 1, "i7 iv7 i7 iv7": 1, "ii7 V7 Imaj7 Imaj7": 0.5,
                      "i7 bVII bVI V7": 0.5},
        kit={"boom": 0.8, "pop": 0.2}, mix={"drums": 1.0, "bass": 0.0, "comp": -5.0, "pad": -9.0, "lead": -1.0},
        drive=(0.0, 0.0), reverb=(0.0, 0.15), room=(0.4, 0.9), dynamics=(1, 3), compression=(3.0, 6.0),
        loudness=(-14, 2), era=0.15, hiss=(-55, -40), crackle=0.4, jitter=0.006, fill=0.05,
        comp_lowpass=(1800, 5000),
        neighbours={"reggae": 0.08, "pop": 0.06},
    ),
    "jazz": GenreStyle(
        tempo=(135, 40), swing=(0.9, 1.9, 0.3), swing_unit=8,
        drums={"jazz_ride": 0.58, "jazz_brush": 0.3, "none": 0.07, "shuffle": 0.05},
        bass={"walking": 0.75, "half": 0.2, "boogie": 0.05},
        comp={"jazz_comp": 0.6, "block4": 0.15, "whole": 0.15, "arp": 0.1},
        comp_timbre={"piano": 0.6, "clean_gtr": 0.2, "epiano": 0.1, "organ": 0.1},
        pad={"none": 0.85, "organ": 0.05, "strings": 0.1},
        bass_timbre={"bass_upright": 0.85, "bass_electric": 0.15},
        lead={"bebop_sax": 0.35, "bebop_brass": 0.25, "bebop_piano": 0.15, "none": 0.15, "sung": 0.1},
        progressions={"ii7 V7 Imaj7 Imaj7": 2, "ii9,V13 Imaj9 vi7,II7 ii7,V7": 2, "Imaj7,vi7 ii7,V7 iii7,VI7 ii7,V7": 1.5,
                      "iih7 V7b9 i7 i7": 1, "I7 I7 I7 I7 IV7 IV7 I7 I7 ii7 V7 I7 V7": 1, "Imaj7 IVmaj7 iii7 VI7": 1},
        kit={"jazz": 1.0}, mix={"drums": -2.0, "bass": -1.0, "comp": -2.0, "pad": -9.0, "lead": 0.0},
        drive=(0.0, 0.0), reverb=(0.15, 0.4), room=(0.8, 1.8), dynamics=(5, 12), compression=(1.2, 2.0),
        loudness=(-21, 3), era=0.6, hiss=(-48, -32), crackle=0.05, jitter=0.012, fill=0.15,
        neighbours={"blues": 0.1},
    ),
    "metal": GenreStyle(
        tempo=(140, 30), swing=(0.03, 1.3, 0.1), swing_unit=16,
        drums={"double_kick": 0.35, "thrash": 0.2, "blast": 0.1, "rock": 0.2, "halftime": 0.15},
        bass={"kick": 0.35, "root8": 0.4, "root16": 0.25},
        comp={"chug16": 0.35, "power8": 0.45, "whole": 0.2},
        comp_timbre={"dist_gtr": 0.95, "clean_gtr": 0.05},
        pad={"none": 0.8, "synth_pad": 0.1, "strings": 0.1},
        bass_timbre={"bass_electric": 0.8, "bass_synth": 0.2},
        lead={"shred": 0.4, "sung": 0.3, "none": 0.3},
        progressions={"i5 i5 bVI5 bVII5": 2, "i5 bII5 i5 bII5": 1.5, "i5 i5 bVII5 bVI5": 1, "i5 iv5 bVI5 V5": 1,
                      "i5,bII5 i5,bVII5": 1},
        kit={"metal": 0.85, "rock": 0.15}, mix={"drums": 0.0, "bass": -3.0, "comp": 0.0, "pad": -10.0, "lead": -2.0},
        drive=(8.0, 35.0), reverb=(0.05, 0.25), room=(0.6, 1.4), dynamics=(1, 3), compression=(4.0, 8.0),
        loudness=(-11.5, 2), era=0.05, hiss=(-60, -50), crackle=0.0, jitter=0.004, fill=0.5,
        neighbours={"rock": 0.12},
    ),
    "pop": GenreStyle(
        tempo=(112, 14), swing=(0.1, 1.3, 0.1), swing_unit=16,
        drums={"pop": 0.45, "four_floor": 0.3, "disco": 0.1, "rock": 0.1, "boom_bap": 0.05},
        bass={"pop_sync": 0.35, "root8": 0.35, "octave": 0.15, "kick": 0.15},
        comp={"strum8": 0.2, "block4": 0.2, "arp": 0.25, "whole": 0.2, "offbeat8": 0.15},
        comp_timbre={"synth_pluck": 0.3, "piano": 0.3, "acoustic": 0.15, "epiano": 0.1, "clean_gtr": 0.15},
        pad={"synth_pad": 0.45, "strings": 0.25, "none": 0.3},
        bass_timbre={"bass_synth": 0.5, "bass_electric": 0.5},
        lead={"sung": 0.7, "synth_lead": 0.2, "none": 0.1},
        progressions={"I V vi IV": 3, "vi IV I V": 2, "I vi IV V": 1.5, "Iadd9 V vi IV": 1, "I IV vi V": 1},
        kit={"pop": 0.8, "disco": 0.2}, mix=_MIX,
        drive=(0.0, 1.0), reverb=(0.1, 0.3), room=(0.8, 1.5), dynamics=(1, 4), compression=(3.0, 6.0),
        loudness=(-13, 2), era=0.05, hiss=(-65, -50), crackle=0.0, jitter=0.003, fill=0.3,
        neighbours={"disco": 0.08, "rock": 0.05, "hiphop": 0.04},
    ),
    "reggae": GenreStyle(
        tempo=(84, 9), swing=(0.4, 1.5, 0.15), swing_unit=16,
        drums={"one_drop": 0.45, "rockers": 0.25, "steppers": 0.15, "boom_bap": 0.15},
        bass={"reggae": 0.7, "kick": 0.1, "long": 0.1, "pop_sync": 0.1},
        comp={"skank": 0.5, "offbeat8": 0.35, "stab16": 0.15},
        comp_timbre={"clean_gtr": 0.45, "organ": 0.35, "piano": 0.2},
        pad={"organ": 0.3, "none": 0.6, "synth_pad": 0.1},
        bass_timbre={"bass_electric": 0.6, "bass_synth": 0.25, "bass_808": 0.15},
        lead={"sung": 0.45, "rap": 0.2, "horns": 0.15, "none": 0.2},
        progressions={"I IV I IV": 2, "i iv i v": 1, "I V vi IV": 0.7, "i7 iv7 i7 iv7": 0.5, "I I IV V": 1},
        kit={"reggae": 0.6, "vintage": 0.2, "boom": 0.2},
        mix={"drums": 2.0, "bass": -3.0, "comp": -3.0, "pad": -9.0, "lead": -1.0},
        drive=(0.0, 0.0), reverb=(0.15, 0.4), room=(0.8, 1.6), dynamics=(2, 5), compression=(3.0, 5.5),
        loudness=(-14.5, 2.5), era=0.3, hiss=(-52, -38), crackle=0.35, jitter=0.008, fill=0.15,
        neighbours={"hiphop": 0.08, "pop": 0.04},
    ),
    "rock": GenreStyle(
        tempo=(120, 20), swing=(0.1, 1.6, 0.2), swing_unit=8,
        drums={"rock": 0.5, "rock_ride": 0.2, "halftime": 0.1, "double_kick": 0.08, "shuffle": 0.05, "pop": 0.1},
        bass={"root8": 0.6, "kick": 0.15, "pop_sync": 0.1, "root_fifth": 0.05, "boogie": 0.1},
        comp={"power8": 0.4, "strum8": 0.3, "whole": 0.15, "block4": 0.1, "chug16": 0.1},
        comp_timbre={"dist_gtr": 0.6, "clean_gtr": 0.2, "acoustic": 0.1, "piano": 0.05, "organ": 0.05},
        pad={"none": 0.75, "organ": 0.15, "synth_pad": 0.1},
        bass_timbre={"bass_electric": 0.9, "bass_synth": 0.1},
        lead={"sung": 0.5, "rock_guitar": 0.35, "none": 0.2},
        progressions={"I5 bVII5 IV5 I5": 2, "I IV V IV": 2, "I V vi IV": 1, "i5 bVI5 bVII5 i5": 1, "I7 IV7 I7 V7": 0.7},
        kit={"rock": 0.8, "metal": 0.2}, mix=_MIX,
        drive=(4.0, 18.0), reverb=(0.1, 0.3), room=(0.8, 1.6), dynamics=(2, 5), compression=(2.5, 5.0),
        loudness=(-13, 2.5), era=0.3, hiss=(-58, -42), crackle=0.0, jitter=0.006, fill=0.45,
        neighbours={"metal": 0.1, "pop": 0.05, "blues": 0.04},
    ),
}


def genre_style(genre: str) -> GenreStyle:
    """The distributions of one of :data:`GTZAN_GENRES`.

    Raises
    ------
    ConfigError
        If ``genre`` is not one of the ten.
    """
    try:
        return _GENRES[genre]
    except KeyError:
        raise ConfigError(f"unknown synthetic genre {genre!r}; expected one of {', '.join(GTZAN_GENRES)}") from None
