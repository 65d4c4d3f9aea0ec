"""Writes the pocketsphinx finite-state grammars (FSG format) for the digit measurements.

    python3 pocketsphinx_fsg.py one|many GARBAGE_PROB PHONE_PROB > grammar.fsg

one: exactly one digit word; many: one or more. With GARBAGE_PROB > 0, a loop of phones
(words ph_aa .. ph_zh, one phone each, in the dictionary) competes with the digits wherever a
digit could start, so non-digit speech can be decoded as phones instead of digits: entering the
loop costs GARBAGE_PROB, each phone PHONE_PROB. Probabilities are explicit transitions here
(pocketsphinx 5prealpha scales them by -lw); its JSGF weights had no effect in our measurements.
Silence and fillers between words are added by the decoder (-fsgusefiller).
"""

import sys

DIGITS = ['zero', 'oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine']
PHONES = ('AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH '
          'UH UW V W Y Z ZH').split()


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ('one', 'many'):
        raise SystemExit('usage: pocketsphinx_fsg.py one|many GARBAGE_PROB PHONE_PROB')
    many = sys.argv[1] == 'many'
    p_garbage = float(sys.argv[2])
    p_phone = float(sys.argv[3])
    # 0: start, 1: after a word (final), 2: in the garbage loop, 3: after a phone.
    t = []
    for w in DIGITS:
        t.append((0, 1, 1.0, w))
    if many:
        t.append((1, 0, 1.0, None))
    if p_garbage > 0:
        t.append((0, 2, p_garbage, None))
        for p in PHONES:
            t.append((2, 3, p_phone, 'ph_' + p.lower()))
        t.append((3, 2, 1.0, None))
        t.append((3, 1, 1.0, None))
    out = ['FSG_BEGIN digits', 'NUM_STATES 4', 'START_STATE 0', 'FINAL_STATE 1']
    for a, b, p, w in t:
        out.append(f'TRANSITION {a} {b} {p:g}' + (f' {w}' if w else ''))
    out.append('FSG_END')
    print('\n'.join(out))


if __name__ == '__main__':
    main()
