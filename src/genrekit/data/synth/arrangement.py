"""The pitched parts as notes: chord voicings and comping rhythms, bass lines (patterned, walking
or following the kick) and melodies (phrases of rhythm cells over a scale, or rap)."""

from __future__ import annotations

import math

import numpy as np

from genrekit.data.synth.instruments import _VOWELS, _Note
from genrekit.data.synth.styles import _BASS, _COMPS, _VELOCITY, _LeadStyle
from genrekit.data.synth.timeline import _bar_pattern, _hits, _Song
from genrekit.data.synth.vocabulary import _CHORDS, _SCALES, _Chord


def _voicing(chord: _Chord, centre: int, kind: str, prev_mean: float | None) -> list[int]:
    ivs = _CHORDS[chord.quality]
    if kind == "power":
        low = centre - 12 + ((chord.root - (centre - 12)) % 12)
        return [low, low + 7, low + 12]
    if kind == "rootless" and len(ivs) >= 4:
        ivs = ivs[1:]
    pcs = [(chord.root + i) % 12 for i in ivs]
    best, best_cost = None, None
    target = centre if prev_mean is None else 0.5 * (centre + prev_mean)
    for inv in range(len(pcs)):
        order = pcs[inv:] + pcs[:inv]
        base = centre - 6 + ((order[0] - (centre - 6)) % 12)
        notes = [base]
        for pc in order[1:]:
            notes.append(notes[-1] + ((pc - notes[-1]) % 12 or 12))
        cost = abs(float(np.mean(notes)) - target)
        if best_cost is None or cost < best_cost:
            best, best_cost = notes, cost
    return best


def _comp_notes(song: _Song, style_name: str, centre: int, loop_seed: int) -> list[_Note]:
    style = _COMPS[style_name]
    rng, spb = song.rng, song.steps_per_bar
    choice = int(rng.integers(64))
    loop = None
    if style_name == "loop":
        # A two-bar sample chop, fixed for the clip, as a producer would loop it.
        lrng = np.random.default_rng(loop_seed)
        loop = []
        for _ in range(2):
            cells = ["x---", "x-x-", "x.x.", "x---", "..x-", "x--x"]
            loop.append("".join(cells[int(lrng.integers(len(cells)))] for _ in range(4)))
    notes, prev_mean = [], None
    for bar in range(song.n_bars):
        base = bar * spb
        if loop is not None:
            pattern = loop[bar % 2]
        elif style_name == "jazz_comp":
            pattern = ["."] * 16
            for step in rng.choice([0, 2, 4, 6, 10, 12, 14, 3, 7], size=int(rng.integers(1, 4)), replace=False):
                length = int(rng.integers(1, 4))
                pattern[step] = "x"
                for j in range(1, length):
                    if step + j < 16 and pattern[step + j] == ".":
                        pattern[step + j] = "-"
            pattern = "".join(pattern)
        else:
            pattern = _bar_pattern(style.patterns, choice, bar)
        arp_i = 0
        for step, length, sym in _hits(pattern, spb):
            s = base + step
            chord = song.chord_at(s)
            voicing = _voicing(chord, centre, "chord" if style.voicing in ("arp", "dyad56") else style.voicing, prev_mean)
            prev_mean = float(np.mean(voicing))
            dur = min(song.span(s, length) * style.gate, style.gate_max)
            vel = _VELOCITY.get(sym, 0.75)
            t = song.human(s)
            if style.voicing == "arp":
                order = [0, 2, 1, 2] if len(voicing) == 3 else [0, 1, 2, 3]
                pitch = voicing[order[arp_i % len(order)] % len(voicing)]
                arp_i += 1
                notes.append(_Note(t, dur, pitch, vel * 0.8))
            elif style.voicing == "dyad56":
                root = voicing[0] - ((voicing[0] - chord.root) % 12)
                root = root if root >= centre - 14 else root + 12
                top = root + (7 if (step // 4) % 2 == 0 else 9)
                notes += [_Note(t, dur, root, vel * 0.6), _Note(t, dur, top, vel * 0.6)]
            else:
                # strummed: a few milliseconds between strings
                gain = vel / math.sqrt(len(voicing))
                for j, pitch in enumerate(voicing):
                    notes.append(_Note(t + j * 0.006, dur, pitch, gain))
    return notes


def _chord_degree(chord: _Chord, symbol: str) -> int:
    ivs = _CHORDS[chord.quality]
    third = next((i for i in ivs if i in (3, 4)), 7 if chord.quality == "5" else 4)
    fifth = next((i for i in ivs if i in (6, 7)), 7)
    seventh = next((i for i in ivs if i in (10, 11)), 10)
    return {"1": 0, "2": 2, "3": third, "4": 5, "5": fifth, "6": 9, "7": seventh, "8": 12}[symbol]


def _bass_notes(song: _Song, style_name: str, low: int, kick_steps: list[int]) -> list[_Note]:
    patterns, gate = _BASS[style_name]
    rng, spb = song.rng, song.steps_per_bar
    choice = int(rng.integers(64))
    notes = []

    def root_note(chord: _Chord) -> int:
        return low + ((chord.root - low) % 12)

    if style_name == "walking":
        prev = None
        for beat in range(song.n_bars * spb // 4):
            s = beat * 4
            chord = song.chord_at(s)
            nxt = song.chord_at(s + 4)
            root = root_note(chord)
            if s == chord.start:
                pitch = root
            elif nxt.start == s + 4:  # approach the next chord from a semitone or a step away
                pitch = root_note(nxt) + int(rng.choice([-1, 1, -2, 2]))
            else:
                pitch = root + _chord_degree(chord, str(rng.choice(["3", "5", "6", "8"])))
            if prev is not None and abs(pitch - prev) > 7:
                pitch += -12 if pitch > prev else 12
            pitch = int(np.clip(pitch, low - 2, low + 19))
            notes.append(_Note(song.human(s), song.span(s, 4) * gate, pitch, 0.85))
            prev = pitch
        return notes
    if style_name == "kick":
        steps = sorted(set(kick_steps)) or list(range(0, song.n_bars * spb, 8))
        for i, s in enumerate(steps):
            length = (steps[i + 1] - s) if i + 1 < len(steps) else 4
            chord = song.chord_at(s)
            glide = 2.0 if rng.random() < 0.15 else 0.0
            notes.append(_Note(song.human(s), song.span(s, min(length, 8)) * gate, root_note(chord), 0.9, glide))
        return notes
    for bar in range(song.n_bars):
        pattern = _bar_pattern(patterns, choice, bar)
        for step, length, sym in _hits(pattern, spb):
            s = bar * spb + step
            chord = song.chord_at(s)
            pitch = root_note(chord) + _chord_degree(chord, sym)
            notes.append(_Note(song.human(s), song.span(s, length) * gate, pitch, 0.85))
    return notes


def _lead_notes(song: _Song, style: _LeadStyle) -> list[_Note]:
    rng, spb = song.rng, song.steps_per_bar
    scale_name = style.scale if style.scale != "mode" else ("minor" if song.minor else "major")
    scale = {(song.key + pc) % 12 for pc in _SCALES[scale_name]}
    lo, hi = style.register
    pitches = [p for p in range(lo, hi + 1) if p % 12 in scale]
    voiced = style.timbre in ("voice", "rap_voice")
    notes = []
    idx = len(pitches) // 2
    total = song.n_bars * spb
    for phrase_start in range(0, total, style.phrase_bars * spb):
        if rng.random() > style.density:
            continue
        phrase_end = min(total, phrase_start + style.phrase_bars * spb - (2 if rng.random() < 0.5 else 0))
        s = phrase_start
        if style.timbre == "rap_voice":
            base_pitch = int(rng.integers(lo, hi + 1))
        while s < phrase_end:
            cell = style.cells[int(rng.integers(len(style.cells)))]
            for length in cell:
                if s >= phrase_end:
                    break
                length = min(length, phrase_end - s)
                if rng.random() < style.rest:
                    s += length
                    continue
                if style.timbre == "rap_voice":
                    # speech: a wandering spoken pitch that falls within each syllable
                    pitch = base_pitch + int(rng.integers(-2, 3))
                    notes.append(_Note(song.human(s), song.span(s, length) * style.gate, pitch,
                                       float(rng.uniform(0.6, 1.0)), -1.5, int(rng.integers(len(_VOWELS)))))
                    s += length
                    continue
                strong = (s % 4) == 0
                chord = song.chord_at(s)
                if strong and rng.random() < 0.6:
                    tones = {(chord.root + i) % 12 for i in _CHORDS[chord.quality]}
                    near = [i for i, p in enumerate(pitches) if p % 12 in tones]
                    if near:
                        idx = min(near, key=lambda i: abs(i - idx))
                else:
                    step = int(rng.choice([-2, -1, -1, 1, 1, 2, -3, 3], p=[0.1, 0.25, 0.0, 0.25, 0.0, 0.1, 0.15, 0.15]))
                    idx = int(np.clip(idx + step, 0, len(pitches) - 1))
                pitch = pitches[idx]
                if not strong and rng.random() < style.chromatic:
                    pitch += int(rng.choice([-1, 1]))
                glide = float(rng.choice([1.0, 2.0])) if rng.random() < style.bend else 0.0
                vowel = int(rng.integers(len(_VOWELS))) if voiced else -1
                notes.append(_Note(song.human(s), song.span(s, length) * style.gate, pitch,
                                   float(rng.uniform(0.75, 1.0)), glide, vowel))
                s += length
    return notes
