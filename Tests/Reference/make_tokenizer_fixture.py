#!/usr/bin/env python3
"""Writes Tests/DatasetTests/Fixtures/tokenizer_cases.json with reference ids from tiktoken.

The Swift GPT-2 tokenizer must be byte-exact with tiktoken's `gpt2` encoding. This script builds
that encoding from OpenAI's local files (no network), encodes a list of hand-picked edge cases and
a few hundred seeded random strings, and also records how tiktoken's regex engine classifies every
Unicode scalar (`\\p{L}`, `\\p{N}`, `\\s`), so the Swift classes can be checked scalar by scalar.

Usage (from the package root):
    python3 Tests/Reference/make_tokenizer_fixture.py [--data ../shared/data]
"""

import argparse
import hashlib
import json
import os
import random
import struct
import sys

import tiktoken
import tiktoken.load

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

HAND_PICKED = [
    "",
    "Hello world",
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n",
    # Contractions, lower and upper case, and near misses.
    "it's don't they're we've I'm you'll he'd",
    "IT'S DON'T THEY'RE WE'VE I'M YOU'LL HE'D",
    "'s 't 're 've 'm 'll 'd 'S 'T 'x '' ''s ' s",
    "rock'n'roll o'clock 'tis ma'am y'all'd've",
    "?'s !'re -'ll 'sa 'tre 'llama",
    # Whitespace runs of every kind.
    "a  b   c    d",
    "trailing spaces   ",
    "   leading spaces",
    "tabs\tand\t\ttabs \t mixed",
    "newlines\n\n\nand\n \n  \nmore\n",
    "windows\r\nline\r\nendings\r\n\r\n",
    "no\u00a0break\u00a0\u00a0spaces and\u3000ideographic\u3000\u3000space",
    "en\u2002em\u2003thin\u2009hair\u200ann\u202fmath\u205fline\u2028para\u2029nel\u0085ogham\u1680x",
    "not whitespace in \\s: \u001c\u001d\u001e\u001f zwsp\u200bx\u180ey",
    " ",
    "\n",
    "\t \n",
    "  \n\n  ",
    "x \n y",
    "x\u00a0 y \u00a0z",
    # Digits and numbers.
    "1 12 123 1234 12345 123456789 3.14159 -42 1,000,000 0x1F 2nd 3rd",
    "Roman \u2167 fractions \u00bd \u2153 superscripts x\u00b2 circled \u2460\u2461 Arabic-Indic \u0661\u0662\u0663",
    # Punctuation runs.
    "Hello!!! What??? ... --- === *** ### @@@ $$$ %%% ^^^ &&& ((())) [[]] {{}} <<>> ||| ~~~",
    "email@example.com https://example.org/path?q=1&r=2#frag C:\\dir\\file.txt",
    "\"quoted\" 'single' `back` \u201ccurly\u201d \u2018curly\u2019 \u00abguillemets\u00bb",
    # Non-ASCII letters, marks, scripts.
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00fcber stra\u00dfe \u00c5ngstr\u00f6m",
    "cafe\u0301 nai\u0308ve combining e\u0301\u0301\u0301 marks",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 \u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u03ba\u03cc\u03c3\u03bc\u03b5",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e \u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35",
    "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u4eca\u5929\u5929\u6c14\u5f88\u597d\u3002\u6211\u4eec\u53bb\u516c\u56ed\u5427\u3002",
    "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c \u30ab\u30bf\u30ab\u30ca \uc548\ub155\ud558\uc138\uc694 \uc138\uacc4",
    "\U00020000\U0002a6d6 rare CJK extension B, math \U0001d400\U0001d41a\U0001d7ce",
    # Emoji (with joiners, skin tones, flags, keycaps).
    "emoji \U0001f600\U0001f602 \U0001f44d\U0001f3fd \U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f1ef\U0001f1f5 1\ufe0f\u20e3",
    "\u2764\ufe0f\u2764\ufe0f\u2764\ufe0f \U0001f525\U0001f525 x\U0001f600y",
    # Unicode 17.0 letters (assigned after tiktoken's regex tables, so "other" there).
    "new letters \u088f\u0c5c\ua7ce\ua7cf \U00010940\U00010941 end",
    "mixed x\u088fy z\ua7cez 1\U00011de02 \U00016ff4\U00016ff5",
    # Special token text: ordinary characters unless allowed.
    "<|endoftext|>",
    "before<|endoftext|>after <|endoftext|> spaced\n<|endoftext|>\n",
    "<|endoftext|<|endoftext|>|>",
    # Controls and odd bytes that are still valid UTF-8.
    "nul\u0000byte bell\u0007 esc\u001b[0m del\u007f c1\u0080\u009f bom\ufeff replacement\ufffd",
    "soft\u00adhyphen and\u00a0nbsp and\u00ff\u0100\u017f",
    "a" * 300,
    " " * 300 + "x",
    "\n" * 200,
    "ab" * 150 + " " + "\u4e00" * 120,
]

# Pools for seeded random strings (stress the regex alternatives and their boundaries).
POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789",
    "'''sStTrReEvVmMlLdD",
    "      \t\n\r\u00a0\u3000\u2003\u0085",
    ".,;:!?-_()[]{}<>/\\|@#$%^&*+=~`\"",
    "\u00e9\u00df\u00f1\u0430\u03b2\u05d0\u0627\u4e2d\u6587\u3042\u30a2\ud55c",
    "\u0301\u0308\u200d\ufe0f\u20e3",
    "\U0001f600\U0001f44d\U0001f3fd\U0001f1ef\U0001f1f5",
    "\u00bd\u2167\u0663\u00b2\u2460",
    "\u088f\ua7ce\U00010940\U00011de0",
]


def build_encoding(data):
    ranks = tiktoken.load.data_gym_to_mergeable_bpe_ranks(
        vocab_bpe_file=os.path.join(data, "gpt2-vocab.bpe"),
        encoder_json_file=os.path.join(data, "gpt2-encoder.json"),
    )
    return tiktoken.Encoding(
        name="gpt2-local", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
        special_tokens={"<|endoftext|>": 50256},
    )


def class_ranges(pattern):
    """Scalar ranges that tiktoken's regex engine puts in a single-character class."""
    byte_ranks = {bytes([b]): b for b in range(256)}
    probe = tiktoken.Encoding(name="probe", pat_str=pattern, mergeable_ranks=byte_ranks, special_tokens={})
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    # Characters outside the class match nothing and are dropped, so what remains is the class.
    members = sorted(ord(c) for c in bytes(probe.encode_ordinary(every)).decode("utf-8"))
    ranges = []
    for value in members:
        if ranges and ranges[-1][1] + 1 == value:
            ranges[-1][1] = value
        else:
            ranges.append([value, value])
    return ranges


def random_strings(count, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        length = rng.randint(1, 40)
        weights = [rng.random() for _ in POOLS]
        out.append("".join(rng.choice(rng.choices(POOLS, weights)[0]) for _ in range(length)))
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(root, "..", "shared", "data"))
    parser.add_argument("--out", default=os.path.join(root, "Tests", "DatasetTests", "Fixtures", "tokenizer_cases.json"))
    args = parser.parse_args()

    enc = build_encoding(args.data)
    cases = [{"text": t, "ids": enc.encode_ordinary(t)} for t in HAND_PICKED + random_strings(400, seed=20240520)]
    special = [
        {"text": t, "ids": enc.encode(t, allowed_special={"<|endoftext|>"})}
        for t in ["<|endoftext|>", "before<|endoftext|>after <|endoftext|> spaced\n<|endoftext|>\n",
                  "a<|endoftext|><|endoftext|>b", "<|endoftext|<|endoftext|>|>"]
    ]
    for case in cases + special:
        assert enc.decode(case["ids"]) == case["text"], case["text"]

    with open(os.path.join(args.data, "tinyshakespeare.txt"), encoding="utf-8") as f:
        shakespeare = enc.encode_ordinary(f.read())
    fixture = {
        "generator": "Tests/Reference/make_tokenizer_fixture.py",
        "tiktoken_version": tiktoken.__version__,
        "pattern": GPT2_PATTERN,
        "ordinary": cases,
        "allowing_endoftext": special,
        # SHA-256 of the whole file's ids as little-endian uint16 (a full check beyond the
        # reference's first/last tokens).
        "tinyshakespeare": {
            "count": len(shakespeare),
            "ids_uint16le_sha256": hashlib.sha256(struct.pack(f"<{len(shakespeare)}H", *shakespeare)).hexdigest(),
        },
        "classes": {
            "letter": class_ranges(r"\p{L}"),
            "number": class_ranges(r"\p{N}"),
            "whitespace": class_ranges(r"\s"),
        },
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out}: {len(cases)} ordinary cases, {len(special)} with <|endoftext|>", file=sys.stderr)


if __name__ == "__main__":
    main()
